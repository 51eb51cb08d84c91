//! Pins read from a machine's store only when they are touched.
//!
//! A [`Loader`] stands for one store's pack files (through their shared maps, see
//! [`PinReader`]). [`Loader::pin`] gives a pin that is known by its hash only: an ordinary
//! [`PinObj`] whose item word points back at the loader. Its jet is matched at once, by hash;
//! the first look at its item or arity reads its record from the map (checking its
//! checksum), builds its item, checks that the item hashes to the pin's hash and keeps it.
//! The item's own sub-pins are made the same way, unloaded, so loading a pin costs what that
//! pin holds, never what it reaches.
//!
//! What a loader builds lives in its own heap, which is never collected: its objects are
//! flagged [`STORED`], point only at each other, and the runtime's collector neither frees
//! them nor looks inside them. Loaded pins therefore stay in memory as long as the loader
//! does (the runtime keeps it), and loading needs no runtime: any code that reads a pin's
//! item (the engines, the printer, comparisons, jets) loads it where it stands.
//!
//! A pin whose record is damaged or missing when it is first touched cannot be given any
//! value: the process says which pin and why, and exits with status 2 (the store's log and
//! snapshots are as durable as after a kill, so nothing committed is lost).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::rc::Rc;

use num_bigint::BigUint;

use crate::hash::{base58, hash_item, Hash};
use crate::heap::Heap;
use crate::jets::{JetId, JetTable};
use crate::runtime::{arity_of, law_shape};
use crate::seed::{self, Build};
use crate::store::pins::PinReader;
use crate::value::{op_arity, Kind, LawObj, PinObj, Value, MAX_SMALL, NORMAL, STORED, UNLOADED};

/// What a loader has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoaderStats {
    /// Pins made from the store (loaded or not).
    pub known: u64,
    /// Pins whose item was loaded.
    pub loaded: u64,
    /// Bytes of the loaded pins' records.
    pub bytes_read: u64,
    /// Bytes the loader's heap holds.
    pub heap_bytes: u64,
}

impl std::fmt::Display for LoaderStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stored pins: {} known, {} loaded ({} bytes read from the store, {} bytes in memory)",
            self.known, self.loaded, self.bytes_read, self.heap_bytes
        )
    }
}

/// One store's pins, loaded when touched.
pub struct Loader {
    /// Where loaded values live. Borrowed mutably only inside a single allocation (which
    /// never calls out), so a load may start while another one is under way.
    heap: UnsafeCell<Heap>,
    reader: RefCell<PinReader>,
    /// Every pin made so far, by hash (so that a pin reached twice is one object).
    pins: RefCell<HashMap<Hash, Value>>,
    /// Jets by hash.
    jets: HashMap<Hash, JetId>,
    loaded: Cell<u64>,
    bytes_read: Cell<u64>,
}

impl Loader {
    /// A loader reading `reader`'s packs, matching jets of `jets` by hash.
    pub fn new(reader: PinReader, jets: &JetTable) -> Rc<Loader> {
        let mut by_hash = HashMap::new();
        for (j, e) in jets.entries().iter().enumerate() {
            for h in &e.hashes {
                by_hash.insert(*h, j as JetId);
            }
        }
        let mut heap = Heap::default();
        heap.stamp = STORED | NORMAL;
        Rc::new(Loader {
            heap: UnsafeCell::new(heap),
            reader: RefCell::new(reader),
            pins: RefCell::new(HashMap::new()),
            jets: by_hash,
            loaded: Cell::new(0),
            bytes_read: Cell::new(0),
        })
    }

    /// The loader's heap, for one allocation.
    #[allow(clippy::mut_from_ref)]
    fn heap(&self) -> &mut Heap {
        // SAFETY: single-threaded (a loader is not `Sync`), and every caller uses the
        // reference for one allocation that does not call back into the loader, so no two
        // mutable references are ever alive at once.
        unsafe { &mut *self.heap.get() }
    }

    /// Reads pins from `reader` from now on (after the store wrote or collected).
    pub fn set_reader(&self, reader: PinReader) {
        *self.reader.borrow_mut() = reader;
    }

    /// The pin stored under `hash`, unloaded unless it was loaded before. Nothing is read.
    pub fn pin(&self, hash: &Hash) -> Value {
        if let Some(&v) = self.pins.borrow().get(hash) {
            return v;
        }
        let marker = Value(self as *const Loader as u64 | UNLOADED);
        let jet = self.jets.get(hash).copied();
        let v = self.heap().pin(|obj| PinObj {
            obj,
            item: Cell::new(marker),
            hash: *hash,
            arity: Cell::new(0),
            jet: Cell::new(jet),
        });
        self.pins.borrow_mut().insert(*hash, v);
        v
    }

    /// The hashes of the pins made but not loaded (still needed in the store: values in
    /// memory may point at them).
    pub fn unloaded(&self) -> Vec<Hash> {
        self.pins
            .borrow()
            .iter()
            .filter(|(_, v)| matches!(v.kind(), Some(Kind::Pin(p)) if !p.is_loaded()))
            .map(|(h, _)| *h)
            .collect()
    }

    /// What the loader has done so far.
    pub fn stats(&self) -> LoaderStats {
        // SAFETY: a read of the counters, outside any allocation.
        let heap_bytes = unsafe { (*self.heap.get()).bytes() } as u64;
        LoaderStats {
            known: self.pins.borrow().len() as u64,
            loaded: self.loaded.get(),
            bytes_read: self.bytes_read.get(),
            heap_bytes,
        }
    }

    /// Loads `p` (a pin this loader made): reads and checks its record, builds its item and
    /// checks the item's hash. Returns the item.
    pub fn load(&self, p: &PinObj) -> Result<Value, String> {
        if p.is_loaded() {
            return Ok(p.item.get());
        }
        let name = base58(&p.hash);
        let blob = self
            .reader
            .borrow()
            .get(&p.hash)
            .map_err(|e| format!("pin {name}: {e}"))?
            .ok_or_else(|| format!("pin {name} is missing from the store"))?;
        let (refs, germ) =
            seed::parse_stored_pin(&blob).map_err(|e| format!("stored pin {name}: {e}"))?;
        let holes: Vec<Value> = refs.iter().map(|h| self.pin(h)).collect();
        let item = stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            seed::read_seed(&mut ArenaBuild { loader: self }, germ, &holes)
        })
        .map_err(|e| format!("stored pin {name}: {e}"))?;
        let got = hash_item(item);
        if got != p.hash {
            return Err(format!(
                "stored pin {name}: its item hashes to {}",
                base58(&got)
            ));
        }
        if p.is_loaded() {
            // Loaded meanwhile, by a load that this one's item needed.
            return Ok(p.item.get());
        }
        p.arity.set(arity_of(item));
        p.item.set(item);
        self.loaded.set(self.loaded.get() + 1);
        self.bytes_read
            .set(self.bytes_read.get() + blob.len() as u64);
        Ok(item)
    }
}

/// The item of the unloaded pin `p`, loaded by the loader its item word names. A damaged or
/// missing record ends the process with status 2 (see the module documentation).
#[cold]
pub(crate) fn load_or_exit(p: &PinObj) -> Value {
    let at = p.item.get().0 & !3;
    // SAFETY: an unloaded pin's item word is the address of the loader that made it, which
    // lives as long as any value that points at the pin (the runtimes that hold such values
    // keep their loaders).
    let loader = unsafe { &*(at as *const Loader) };
    match loader.load(p) {
        Ok(v) => v,
        Err(why) => {
            eprintln!(
                "pallas: the store is damaged: {why}. The machine stops here (exit status 2); \
                 restore the store from a copy or an export"
            );
            std::process::exit(2)
        }
    }
}

/// Builds a stored pin's item in the loader's heap. Stored items are normal, so every cell
/// is a law (`0 name arity body`), a pin (`4 item`) or a partial application; a cell that
/// saturates a function whose arity is known here is refused as damage. (A cell whose head
/// is a pin not loaded yet is taken as partial: the item's hash, checked once it is built,
/// is the hash of a value that was normal when it was pinned.)
struct ArenaBuild<'a> {
    loader: &'a Loader,
}

impl Build for ArenaBuild<'_> {
    fn big(&mut self, n: BigUint) -> Value {
        self.loader.heap().nat(n)
    }

    fn word(&mut self, w: u64) -> Value {
        if w <= MAX_SMALL {
            Value::small(w)
        } else {
            self.loader.heap().nat(BigUint::from(w))
        }
    }

    fn cell(&mut self, f: Value, x: Value) -> Result<Value, String> {
        self.spine(f, &[x])
    }

    fn spine(&mut self, f: Value, xs: &[Value]) -> Result<Value, String> {
        let flat = |f: Value| match f.kind() {
            Some(Kind::App(a)) => (a.head, a.args().to_vec()),
            _ => (f, Vec::new()),
        };
        let (mut head, mut args) = flat(f);
        let saturated = || Err("a saturated application in a stored (normal) value".to_string());
        for &x in xs {
            args.push(x);
            let n = args.len() as u64;
            let made = match head.as_small() {
                Some(0) if n == 3 => Some(self.law(args[0], args[1], args[2])?),
                Some(4) if n == 1 => Some(self.pin_of(args[0])),
                Some(op) if n >= op_arity(op) => return saturated(),
                _ => None,
            };
            if let Some(v) = made {
                (head, args) = flat(v);
                continue;
            }
            let ok = match head.kind() {
                None => true,
                Some(Kind::Law(l)) => n < l.arity,
                Some(Kind::Pin(p)) => !p.is_loaded() || n < p.arity.get(),
                Some(Kind::Nat(_) | Kind::App(_) | Kind::Thunk(_)) => false,
            };
            if !ok {
                return saturated();
            }
        }
        if args.is_empty() {
            return Ok(head);
        }
        Ok(self.loader.heap().app(head, &args))
    }
}

impl ArenaBuild<'_> {
    fn law(&mut self, name: Value, arity: Value, body: Value) -> Result<Value, String> {
        if !name.is_nat() || !arity.is_nat() || arity.as_small() == Some(0) {
            return Err("a law needs a nat name and a positive nat arity".into());
        }
        let ar = crate::nat::to_u64(arity).unwrap_or(u64::MAX);
        let shape = law_shape(name, ar, body);
        Ok(self.loader.heap().law(|obj| LawObj {
            obj,
            name,
            arity_nat: arity,
            arity: ar,
            body,
            shape,
            code: std::cell::OnceCell::new(),
            bytecode: std::cell::OnceCell::new(),
            native: crate::native::new_slot(),
        }))
    }

    /// A pin of `item` inside a stored item (germs hold their sub-pins as holes, so only a
    /// hand-made record has one).
    fn pin_of(&mut self, item: Value) -> Value {
        let hash = hash_item(item);
        let arity = arity_of(item);
        let jet = self.loader.jets.get(&hash).copied();
        self.loader.heap().pin(|obj| PinObj {
            obj,
            item: Cell::new(item),
            hash,
            arity: Cell::new(arity),
            jet: Cell::new(jet),
        })
    }
}
