;; The watermark's soft Viterbi decoder (viterbiDecode in core/media/watermark/conv.ts) for K = 9, rate 1/3: the same
;; f64 path metrics, added and compared in the same order (ties keep the first predecessor), so the same bits.
;; The caller lays out in memory:
;;   soft    steps × 3 × f64
;;   word    512 × u8: the 3 output bits of branch (state << 1 | bit)
;;   from    steps × 256 × u16 (scratch), metric and next 256 × f64 each (scratch), branch 8 × f64 (scratch)
;;   out     bits × u8
(module
  (memory (export "memory") 2)

  (func (export "decode")
    (param $soft i32) (param $bits i32) (param $steps i32) (param $word i32) (param $from i32)
    (param $metric i32) (param $next i32) (param $branch i32) (param $out i32)
    (local $t i32) (local $s i32) (local $b i32) (local $w i32) (local $j i32) (local $base i32) (local $maxBit i32)
    (local $bm f64) (local $m f64) (local $ns i32) (local $row i32) (local $p i32) (local $tmp i32)
    ;; metric = −∞ except state 0
    (local.set $s (i32.const 0))
    (block $d0
      (loop $l0
        (br_if $d0 (i32.ge_u (local.get $s) (i32.const 256)))
        (f64.store (i32.add (local.get $metric) (i32.shl (local.get $s) (i32.const 3))) (f64.const -inf))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $l0)))
    (f64.store (local.get $metric) (f64.const 0))
    (local.set $t (i32.const 0))
    (block $td
      (loop $tl
        (br_if $td (i32.ge_u (local.get $t) (local.get $steps)))
        (local.set $s (i32.const 0))
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $s) (i32.const 256)))
            (f64.store (i32.add (local.get $next) (i32.shl (local.get $s) (i32.const 3))) (f64.const -inf))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $l1)))
        ;; branch[w] = Σ_j ±soft[base + j], + where bit j of w is set
        (local.set $base (i32.add (local.get $soft) (i32.mul (local.get $t) (i32.const 24))))
        (local.set $w (i32.const 0))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $w) (i32.const 8)))
            (local.set $bm (f64.const 0))
            (local.set $j (i32.const 0))
            (block $d3
              (loop $l3
                (br_if $d3 (i32.ge_u (local.get $j) (i32.const 3)))
                (local.set $m (f64.load (i32.add (local.get $base) (i32.shl (local.get $j) (i32.const 3)))))
                (local.set $bm (f64.add (local.get $bm)
                  (select (local.get $m) (f64.neg (local.get $m)) (i32.and (i32.shr_u (local.get $w) (local.get $j)) (i32.const 1)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $l3)))
            (f64.store (i32.add (local.get $branch) (i32.shl (local.get $w) (i32.const 3))) (local.get $bm))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (br $l2)))
        (local.set $maxBit (i32.lt_u (local.get $t) (local.get $bits)))
        (local.set $row (i32.add (local.get $from) (i32.shl (i32.shl (local.get $t) (i32.const 8)) (i32.const 1))))
        (local.set $s (i32.const 0))
        (block $d4
          (loop $l4
            (br_if $d4 (i32.ge_u (local.get $s) (i32.const 256)))
            (local.set $m (f64.load (i32.add (local.get $metric) (i32.shl (local.get $s) (i32.const 3)))))
            (if (f64.ne (local.get $m) (f64.const -inf))
              (then
                (local.set $b (i32.const 0))
                (block $d5
                  (loop $l5
                    (br_if $d5 (i32.gt_u (local.get $b) (local.get $maxBit)))
                    (local.set $bm (f64.add (local.get $m)
                      (f64.load (i32.add (local.get $branch)
                        (i32.shl (i32.load8_u (i32.add (local.get $word) (i32.or (i32.shl (local.get $s) (i32.const 1)) (local.get $b)))) (i32.const 3))))))
                    (local.set $ns (i32.shr_u (i32.or (i32.shl (local.get $b) (i32.const 8)) (local.get $s)) (i32.const 1)))
                    (local.set $p (i32.add (local.get $next) (i32.shl (local.get $ns) (i32.const 3))))
                    (if (f64.gt (local.get $bm) (f64.load (local.get $p)))
                      (then
                        (f64.store (local.get $p) (local.get $bm))
                        (i32.store16 (i32.add (local.get $row) (i32.shl (local.get $ns) (i32.const 1))) (local.get $s))))
                    (local.set $b (i32.add (local.get $b) (i32.const 1)))
                    (br $l5)))))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $l4)))
        (local.set $tmp (local.get $metric))
        (local.set $metric (local.get $next))
        (local.set $next (local.get $tmp))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl)))
    ;; trace back from state 0 (zero-terminated)
    (local.set $s (i32.const 0))
    (local.set $t (local.get $steps))
    (block $d6
      (loop $l6
        (br_if $d6 (i32.eqz (local.get $t)))
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        (if (i32.lt_u (local.get $t) (local.get $bits))
          (then (i32.store8 (i32.add (local.get $out) (local.get $t)) (i32.and (i32.shr_u (local.get $s) (i32.const 7)) (i32.const 1)))))
        (local.set $s (i32.load16_u (i32.add (local.get $from) (i32.shl (i32.add (i32.shl (local.get $t) (i32.const 8)) (local.get $s)) (i32.const 1)))))
        (br $l6))))
)
