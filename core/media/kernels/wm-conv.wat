;; The embedder's separable convolution with a symmetric odd kernel, edges clamped (convolve in
;; core/media/watermark/informed.ts): what the extractor sees of a grid-resolution change after the trip to full
;; resolution and back. Each output sums its taps in order (left to right, then top to bottom) in f64, from f32
;; inputs and weights, and is kept as f32, as the JavaScript does; two outputs at a time in the two lanes of an
;; f64x2, each lane its own sum in the same order, so the same values to the bit.
;; The caller lays out in memory: src w × h f32, tmp w × h f32, out w × h f32, kx (2 rx + 1) f32, ky (2 ry + 1) f32.
(module
  (memory (export "memory") 64)

  ;; one output of the horizontal pass with its taps clamped to the row: Σ kx[i + rx] · src[o + clamp(x + i)]
  (func $clampedX (param $src i32) (param $o i32) (param $x i32) (param $w i32) (param $kx i32) (param $rx i32) (result f32)
    (local $i i32) (local $j i32) (local $s f64)
    (local.set $i (i32.sub (i32.const 0) (local.get $rx)))
    (block $d
      (loop $l
        (br_if $d (i32.gt_s (local.get $i) (local.get $rx)))
        (local.set $j (i32.add (local.get $x) (local.get $i)))
        (if (i32.lt_s (local.get $j) (i32.const 0)) (then (local.set $j (i32.const 0))))
        (if (i32.gt_s (local.get $j) (i32.sub (local.get $w) (i32.const 1))) (then (local.set $j (i32.sub (local.get $w) (i32.const 1)))))
        (local.set $s
          (f64.add (local.get $s)
            (f64.mul
              (f64.promote_f32 (f32.load (i32.add (local.get $kx) (i32.shl (i32.add (local.get $i) (local.get $rx)) (i32.const 2)))))
              (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $o) (local.get $j)) (i32.const 2))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (f32.demote_f64 (local.get $s)))

  (func (export "convolve")
    (param $src i32) (param $tmp i32) (param $out i32) (param $w i32) (param $h i32)
    (param $kx i32) (param $rx i32) (param $ky i32) (param $ry i32)
    (local $y i32) (local $x i32) (local $o i32) (local $lo i32) (local $hi i32) (local $i i32) (local $p i32)
    (local $s v128) (local $t f64) (local $r i32) (local $nx i32) (local $ny i32)
    (local.set $nx (i32.add (i32.shl (local.get $rx) (i32.const 1)) (i32.const 1)))
    (local.set $ny (i32.add (i32.shl (local.get $ry) (i32.const 1)) (i32.const 1)))
    ;; lo = min(w, rx), hi = max(lo, w − rx): the columns whose taps all lie inside the row
    (local.set $lo (select (local.get $w) (local.get $rx) (i32.lt_s (local.get $w) (local.get $rx))))
    (local.set $hi (i32.sub (local.get $w) (local.get $rx)))
    (if (i32.lt_s (local.get $hi) (local.get $lo)) (then (local.set $hi (local.get $lo))))
    ;; horizontal pass: src → tmp
    (local.set $y (i32.const 0))
    (block $yd
      (loop $yl
        (br_if $yd (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $o (i32.mul (local.get $y) (local.get $w)))
        (local.set $x (i32.const 0))
        (block $ed
          (loop $el
            (br_if $ed (i32.ge_s (local.get $x) (local.get $lo)))
            (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (call $clampedX (local.get $src) (local.get $o) (local.get $x) (local.get $w) (local.get $kx) (local.get $rx)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $el)))
        ;; interior, two columns at a time
        (block $id
          (loop $il
            (br_if $id (i32.gt_s (i32.add (local.get $x) (i32.const 2)) (local.get $hi)))
            (local.set $p (i32.add (local.get $src) (i32.shl (i32.sub (i32.add (local.get $o) (local.get $x)) (local.get $rx)) (i32.const 2))))
            (local.set $s (f64x2.splat (f64.const 0)))
            (local.set $i (i32.const 0))
            (block $td
              (loop $tl
                (br_if $td (i32.ge_s (local.get $i) (local.get $nx)))
                (local.set $s
                  (f64x2.add (local.get $s)
                    (f64x2.mul
                      (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $kx) (i32.shl (local.get $i) (i32.const 2))))))
                      (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $tl)))
            (v128.store64_lane 0 (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (f32x4.demote_f64x2_zero (local.get $s)))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $il)))
        ;; an odd column left inside, then the right edge, clamped
        (block $rd
          (loop $rl
            (br_if $rd (i32.ge_s (local.get $x) (local.get $w)))
            (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (call $clampedX (local.get $src) (local.get $o) (local.get $x) (local.get $w) (local.get $kx) (local.get $rx)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $rl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl)))
    ;; vertical pass: tmp → out, each output's taps from the rows above to those below, rows clamped
    (local.set $y (i32.const 0))
    (block $vd
      (loop $vl
        (br_if $vd (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $o (i32.mul (local.get $y) (local.get $w)))
        (local.set $x (i32.const 0))
        (block $cd
          (loop $cl
            (br_if $cd (i32.gt_s (i32.add (local.get $x) (i32.const 2)) (local.get $w)))
            (local.set $s (f64x2.splat (f64.const 0)))
            (local.set $i (i32.const 0))
            (block $kd
              (loop $kl
                (br_if $kd (i32.ge_s (local.get $i) (local.get $ny)))
                (local.set $r (i32.add (local.get $y) (i32.sub (local.get $i) (local.get $ry))))
                (if (i32.lt_s (local.get $r) (i32.const 0)) (then (local.set $r (i32.const 0))))
                (if (i32.gt_s (local.get $r) (i32.sub (local.get $h) (i32.const 1))) (then (local.set $r (i32.sub (local.get $h) (i32.const 1)))))
                (local.set $s
                  (f64x2.add (local.get $s)
                    (f64x2.mul
                      (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $ky) (i32.shl (local.get $i) (i32.const 2))))))
                      (f64x2.promote_low_f32x4
                        (v128.load64_zero (i32.add (local.get $tmp) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $w)) (local.get $x)) (i32.const 2))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $kl)))
            (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (f32x4.demote_f64x2_zero (local.get $s)))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $cl)))
        ;; the last column of an odd width
        (if (i32.lt_s (local.get $x) (local.get $w))
          (then
            (local.set $t (f64.const 0))
            (local.set $i (i32.const 0))
            (block $ld
              (loop $ll
                (br_if $ld (i32.ge_s (local.get $i) (local.get $ny)))
                (local.set $r (i32.add (local.get $y) (i32.sub (local.get $i) (local.get $ry))))
                (if (i32.lt_s (local.get $r) (i32.const 0)) (then (local.set $r (i32.const 0))))
                (if (i32.gt_s (local.get $r) (i32.sub (local.get $h) (i32.const 1))) (then (local.set $r (i32.sub (local.get $h) (i32.const 1)))))
                (local.set $t
                  (f64.add (local.get $t)
                    (f64.mul
                      (f64.promote_f32 (f32.load (i32.add (local.get $ky) (i32.shl (local.get $i) (i32.const 2)))))
                      (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $w)) (local.get $x)) (i32.const 2))))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $ll)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2))) (f32.demote_f64 (local.get $t)))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $vl))))
)
