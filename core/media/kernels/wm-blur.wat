;; The watermark's box blur and the loops around it (boxBlur, highPass and localRms in core/media/watermark/grid.ts):
;; running sums in f64 over an f32 grid, each result rounded to f32 where the JavaScript stores it in a Float32Array,
;; the same operations in the same order, so the same grid to the bit (the columns' pass two columns at a time, each
;; lane its own column).
;; The caller lays out in memory: src, tmp and out (w × h × f32 each), sum (w × f64).
(module
  (memory (export "memory") 64)

  ;; src[o + clamp(i, 0, w − 1)]
  (func $at (param $src i32) (param $o i32) (param $i i32) (param $w i32) (result f64)
    (if (i32.lt_s (local.get $i) (i32.const 0)) (then (local.set $i (i32.const 0))))
    (if (i32.gt_s (local.get $i) (i32.sub (local.get $w) (i32.const 1))) (then (local.set $i (i32.sub (local.get $w) (i32.const 1)))))
    (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.add (local.get $o) (local.get $i)) (i32.const 2))))))

  ;; separable box blur of radius r with edge clamping: rows into tmp, then columns into out
  (func (export "blur")
    (param $src i32) (param $tmp i32) (param $out i32) (param $sum i32) (param $w i32) (param $h i32) (param $r i32)
    (local $norm f64) (local $y i32) (local $o i32) (local $s f64) (local $i i32) (local $x i32) (local $a i32) (local $b i32)
    (local $add i32) (local $sub i32) (local $p i32) (local $q i32) (local $v v128)
    (local.set $norm (f64.div (f64.const 1) (f64.convert_i32_s (i32.add (i32.shl (local.get $r) (i32.const 1)) (i32.const 1)))))
    ;; a = min(w, r), b = max(a, w − r − 1)
    (local.set $a (select (local.get $w) (local.get $r) (i32.lt_s (local.get $w) (local.get $r))))
    (local.set $b (i32.sub (i32.sub (local.get $w) (local.get $r)) (i32.const 1)))
    (if (i32.lt_s (local.get $b) (local.get $a)) (then (local.set $b (local.get $a))))
    (local.set $y (i32.const 0))
    (block $yd
      (loop $yl
        (br_if $yd (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $o (i32.mul (local.get $y) (local.get $w)))
        (local.set $s (f64.const 0))
        (local.set $i (i32.sub (i32.const 0) (local.get $r)))
        (block $id
          (loop $il
            (br_if $id (i32.gt_s (local.get $i) (local.get $r)))
            (local.set $s (f64.add (local.get $s) (call $at (local.get $src) (local.get $o) (local.get $i) (local.get $w))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $il)))
        (local.set $x (i32.const 0))
        ;; left edge: clamped reads
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_s (local.get $x) (local.get $a)))
            (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $s) (local.get $norm))))
            (local.set $s (f64.add (local.get $s)
              (f64.sub (call $at (local.get $src) (local.get $o) (i32.add (i32.add (local.get $x) (local.get $r)) (i32.const 1)) (local.get $w))
                       (call $at (local.get $src) (local.get $o) (i32.sub (local.get $x) (local.get $r)) (local.get $w)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $l1)))
        ;; interior
        (local.set $p (i32.add (local.get $src) (i32.shl (i32.add (local.get $o) (i32.add (i32.add (local.get $x) (local.get $r)) (i32.const 1))) (i32.const 2))))
        (local.set $q (i32.add (local.get $src) (i32.shl (i32.add (local.get $o) (i32.sub (local.get $x) (local.get $r))) (i32.const 2))))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_s (local.get $x) (local.get $b)))
            (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $s) (local.get $norm))))
            (local.set $s (f64.add (local.get $s)
              (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (f64.promote_f32 (f32.load (local.get $q))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $l2)))
        ;; right edge
        (block $d3
          (loop $l3
            (br_if $d3 (i32.ge_s (local.get $x) (local.get $w)))
            (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2))) (f32.demote_f64 (f64.mul (local.get $s) (local.get $norm))))
            (local.set $s (f64.add (local.get $s)
              (f64.sub (call $at (local.get $src) (local.get $o) (i32.add (i32.add (local.get $x) (local.get $r)) (i32.const 1)) (local.get $w))
                       (call $at (local.get $src) (local.get $o) (i32.sub (local.get $x) (local.get $r)) (local.get $w)))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $l3)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl)))
    ;; columns: sum[x] over rows clamp(i, 0, h − 1), i = −r … r
    (local.set $x (i32.const 0))
    (block $zd
      (loop $zl
        (br_if $zd (i32.ge_s (local.get $x) (local.get $w)))
        (f64.store (i32.add (local.get $sum) (i32.shl (local.get $x) (i32.const 3))) (f64.const 0))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $zl)))
    (local.set $i (i32.sub (i32.const 0) (local.get $r)))
    (block $cd
      (loop $cl
        (br_if $cd (i32.gt_s (local.get $i) (local.get $r)))
        (local.set $y (local.get $i))
        (if (i32.lt_s (local.get $y) (i32.const 0)) (then (local.set $y (i32.const 0))))
        (if (i32.gt_s (local.get $y) (i32.sub (local.get $h) (i32.const 1))) (then (local.set $y (i32.sub (local.get $h) (i32.const 1)))))
        (local.set $o (i32.mul (local.get $y) (local.get $w)))
        (local.set $x (i32.const 0))
        (block $xd
          (loop $xl
            (br_if $xd (i32.ge_s (local.get $x) (local.get $w)))
            (local.set $p (i32.add (local.get $sum) (i32.shl (local.get $x) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
              (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cl)))
    (local.set $y (i32.const 0))
    (block $vd
      (loop $vl
        (br_if $vd (i32.ge_s (local.get $y) (local.get $h)))
        (local.set $o (i32.mul (local.get $y) (local.get $w)))
        ;; add = min(h − 1, y + r + 1)·w, sub = max(0, y − r)·w
        (local.set $add (i32.add (i32.add (local.get $y) (local.get $r)) (i32.const 1)))
        (if (i32.gt_s (local.get $add) (i32.sub (local.get $h) (i32.const 1))) (then (local.set $add (i32.sub (local.get $h) (i32.const 1)))))
        (local.set $add (i32.mul (local.get $add) (local.get $w)))
        (local.set $sub (i32.sub (local.get $y) (local.get $r)))
        (if (i32.lt_s (local.get $sub) (i32.const 0)) (then (local.set $sub (i32.const 0))))
        (local.set $sub (i32.mul (local.get $sub) (local.get $w)))
        (local.set $x (i32.const 0))
        ;; two columns at a time (each lane its own column's sum, the same operations in the same order)
        (block $vd2
          (loop $vl2
            (br_if $vd2 (i32.gt_s (i32.add (local.get $x) (i32.const 2)) (local.get $w)))
            (local.set $p (i32.add (local.get $sum) (i32.shl (local.get $x) (i32.const 3))))
            (local.set $v (v128.load (local.get $p)))
            (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (f32x4.demote_f64x2_zero (f64x2.mul (local.get $v) (f64x2.splat (local.get $norm)))))
            (v128.store (local.get $p)
              (f64x2.sub
                (f64x2.add (local.get $v)
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $add) (local.get $x)) (i32.const 2))))))
                (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $sub) (local.get $x)) (i32.const 2)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 2)))
            (br $vl2)))
        (block $xd2
          (loop $xl2
            (br_if $xd2 (i32.ge_s (local.get $x) (local.get $w)))
            (local.set $p (i32.add (local.get $sum) (i32.shl (local.get $x) (i32.const 3))))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $o) (local.get $x)) (i32.const 2)))
              (f32.demote_f64 (f64.mul (f64.load (local.get $p)) (local.get $norm))))
            (f64.store (local.get $p)
              (f64.sub
                (f64.add (f64.load (local.get $p))
                  (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $add) (local.get $x)) (i32.const 2))))))
                (f64.promote_f32 (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (local.get $sub) (local.get $x)) (i32.const 2)))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xl2)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $vl))))

  ;; out[i] = a[i] − b[i]
  (func (export "sub") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $i i32)
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (local.get $i))
          (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $a) (local.get $i))))
                                   (f64.promote_f32 (f32.load (i32.add (local.get $b) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; out[i] = a[i]²
  (func (export "square") (param $a i32) (param $out i32) (param $n i32)
    (local $i i32) (local $v f64)
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $a) (local.get $i)))))
        (f32.store (i32.add (local.get $out) (local.get $i)) (f32.demote_f64 (f64.mul (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; m[i] = √max(0, m[i])
  (func (export "root") (param $m i32) (param $n i32)
    (local $i i32) (local $p i32)
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $m) (local.get $i)))
        (f32.store (local.get $p) (f32.demote_f64 (f64.sqrt (f64.max (f64.const 0) (f64.promote_f32 (f32.load (local.get $p)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; m[i] = 1 / (q·√q), q = m[i] + 1
  (func (export "weight") (param $m i32) (param $n i32)
    (local $i i32) (local $p i32) (local $q f64)
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $m) (local.get $i)))
        (local.set $q (f64.add (f64.promote_f32 (f32.load (local.get $p))) (f64.const 1)))
        (f32.store (local.get $p) (f32.demote_f64 (f64.div (f64.const 1) (f64.mul (local.get $q) (f64.sqrt (local.get $q))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))

  ;; a[i] = a[i] · b[i]
  (func (export "mul") (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $p i32)
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $a) (local.get $i)))
        (f32.store (local.get $p) (f32.demote_f64 (f64.mul (f64.promote_f32 (f32.load (local.get $p)))
                                                             (f64.promote_f32 (f32.load (i32.add (local.get $b) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l))))
)
