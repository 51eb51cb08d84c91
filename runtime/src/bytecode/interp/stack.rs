//! The register stack: the registers of every bytecode activation, innermost last, in one
//! buffer that never moves. Its room is reserved once (address space only: the system backs
//! a page when it is first written), so a pointer to an activation's registers stays valid
//! for as long as the activation lives, and the interpreter keeps one at hand instead of
//! recomputing it for every instruction. When the room is used up, calls fail with a clean
//! "stack exhausted" crash, as when the frame limit is reached.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::Deref;
use std::ptr::NonNull;

use crate::value::Value;

/// The least room accepted when the system refuses to reserve more.
const LEAST: usize = 1 << 16;

/// The register stack (see the module documentation).
pub(crate) struct RegStack {
    /// The buffer, from the system allocator (which maps a large block straight from the
    /// system, backed page by page as it is written; the general allocator may commit it).
    ptr: NonNull<Value>,
    len: usize,
    cap: usize,
}

impl RegStack {
    /// An empty stack with room for `most` registers, or as many as the system grants.
    pub(crate) fn new(most: usize) -> RegStack {
        let mut cap = most.max(1);
        loop {
            let layout = Layout::array::<Value>(cap).expect("a small layout");
            // SAFETY: the layout has a non-zero size.
            let p = unsafe { System.alloc(layout) } as *mut Value;
            if let Some(ptr) = NonNull::new(p) {
                return RegStack { ptr, len: 0, cap };
            }
            if cap <= LEAST.min(most) {
                std::alloc::handle_alloc_error(layout);
            }
            cap /= 2;
        }
    }

    /// Whether `n` more registers fit.
    #[inline(always)]
    pub(crate) fn has_room(&self, n: usize) -> bool {
        self.cap - self.len >= n
    }

    /// The number of registers in use.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Drops the registers from `len` on.
    #[inline(always)]
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// The start of the buffer.
    #[inline(always)]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut Value {
        self.ptr.as_ptr()
    }

    /// Sets the number of registers in use.
    ///
    /// # Safety
    /// `len` is within the room (see [`RegStack::has_room`]) and every register below it
    /// holds a value.
    #[inline(always)]
    pub(crate) unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.cap);
        self.len = len;
    }

    /// Sets register `i` of the stack.
    #[inline(always)]
    pub(crate) fn set(&mut self, i: usize, v: Value) {
        assert!(i < self.len, "register {i} out of the stack");
        // SAFETY: in bounds (checked just above).
        unsafe { self.ptr.as_ptr().add(i).write(v) }
    }

    /// Copies the `n` registers from `from` to `to` (below it; the ranges may overlap).
    #[inline(always)]
    pub(crate) fn copy_down(&mut self, from: usize, to: usize, n: usize) {
        assert!(to <= from && from + n <= self.len, "copy out of the stack");
        let p = self.ptr.as_ptr();
        // A forward copy, register by register (a few of them: a call of `memmove` would
        // cost more); the target lies lower, so nothing is overwritten before it is read.
        for i in 0..n {
            // SAFETY: both in bounds (checked above).
            unsafe { p.add(to + i).write(p.add(from + i).read()) }
        }
    }
}

impl Drop for RegStack {
    fn drop(&mut self) {
        let layout = Layout::array::<Value>(self.cap).expect("the layout it was made with");
        // SAFETY: allocated in `new` with this layout.
        unsafe { System.dealloc(self.ptr.as_ptr() as *mut u8, layout) }
    }
}

impl Deref for RegStack {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        // SAFETY: the first `len` registers hold values.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}
