;; The comma count of inspect/scanner.ts's counting path (#countFloats), 16 bytes at a time with
;; WebAssembly SIMD. count(p, end) counts the ',' in memory[p, end), stopping at the first byte
;; with bit 6 set other than 'e'/'E' (a letter, '[', '{', '}', ']'): a byte a float cannot hold.
;; Returns the count; the global `stop` is where it stopped (end when no such byte).
;; inspect/comma-count.ts carries these instructions assembled (wabt's wat2wasm, byte for byte:
;; test/unit/inspect/comma-count.test.ts assembles this file and compares).
(module
  (memory (export "memory") 1)
  (global $stop (export "stop") (mut i32) (i32.const 0))
  (func (export "count") (param $p i32) (param $end i32) (result i32)
    (local $n i32) (local $c i32) (local $v v128)
    (block $bytes
      (loop $blocks
        (br_if $bytes (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load align=1 (local.get $p)))
        (br_if $bytes
          (v128.any_true
            (v128.andnot
              (i8x16.eq (v128.and (local.get $v) (v128.const i8x16 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64))
                        (v128.const i8x16 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64 64))
              (i8x16.eq (v128.or (local.get $v) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32))
                        (v128.const i8x16 101 101 101 101 101 101 101 101 101 101 101 101 101 101 101 101)))))
        (local.set $n
          (i32.add (local.get $n)
            (i32.popcnt (i8x16.bitmask (i8x16.eq (local.get $v) (v128.const i8x16 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44 44))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (block $done
      (loop $scalar
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 44))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1))))
          (else
            (br_if $done
              (i32.and
                (i32.ne (i32.and (local.get $c) (i32.const 64)) (i32.const 0))
                (i32.ne (i32.or (local.get $c) (i32.const 32)) (i32.const 101))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scalar)))
    (global.set $stop (local.get $p))
    (local.get $n)))
