//! Times decimal reading and printing of a nat of N digits:
//! `cargo run --release -p pallas-runtime --example decimal -- N [parse|print|both]`
//! (with `/usr/bin/time -f %M` for peak memory).

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let digits: usize = args
        .get(1)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(10_000_000);
    let mode = args.get(2).map(String::as_str).unwrap_or("both");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let text: Vec<u8> = (0..digits)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i == 0 {
                b'1' + (x % 9) as u8
            } else {
                b'0' + (x % 10) as u8
            }
        })
        .collect();
    let t = Instant::now();
    let n = pallas_runtime::decimal::from_decimal(&text).expect("digits");
    let parse = t.elapsed();
    if mode != "print" {
        println!("{digits} digits: parse {:.3} s", parse.as_secs_f64());
    }
    if mode != "parse" {
        let t = Instant::now();
        let back = pallas_runtime::decimal::to_decimal(&n);
        println!("{digits} digits: print {:.3} s", t.elapsed().as_secs_f64());
        assert!(back.as_bytes() == &text[..], "printing gave other digits");
    }
}
