;; The watermark's 8×8 block DCT and its inverse (blockDct and blockIdct in core/media/watermark/dct.ts): two passes
;; per block, each sum in f64 from 0 in the same order as the JavaScript, so the same coefficients to the bit.
;; The caller lays out in memory: the basis B (64 × f64) at m for the forward transform or its transpose for the
;; inverse, tmp (64 × f64), in and out (size × size × f64 each).
;;   pass 1: tmp[i·8 + j] = Σ_k in[(by + i)·size + bx + k] · M[j·8 + k]
;;   pass 2: out[(by + i)·size + bx + j] = Σ_k tmp[k·8 + j] · M[i·8 + k]
(module
  (memory (export "memory") 8)

  (func (export "blocks") (param $in i32) (param $out i32) (param $size i32) (param $m i32) (param $tmp i32)
    (local $by i32) (local $bx i32) (local $i i32) (local $j i32) (local $k i32) (local $s f64) (local $row i32)
    (local.set $by (i32.const 0))
    (block $byd
      (loop $byl
        (br_if $byd (i32.ge_u (local.get $by) (local.get $size)))
        (local.set $bx (i32.const 0))
        (block $bxd
          (loop $bxl
            (br_if $bxd (i32.ge_u (local.get $bx) (local.get $size)))
            ;; pass 1
            (local.set $i (i32.const 0))
            (block $id
              (loop $il
                (br_if $id (i32.ge_u (local.get $i) (i32.const 8)))
                (local.set $row (i32.add (local.get $in)
                  (i32.shl (i32.add (i32.mul (i32.add (local.get $by) (local.get $i)) (local.get $size)) (local.get $bx)) (i32.const 3))))
                (local.set $j (i32.const 0))
                (block $jd
                  (loop $jl
                    (br_if $jd (i32.ge_u (local.get $j) (i32.const 8)))
                    (local.set $s (f64.const 0))
                    (local.set $k (i32.const 0))
                    (block $kd
                      (loop $kl
                        (br_if $kd (i32.ge_u (local.get $k) (i32.const 8)))
                        (local.set $s (f64.add (local.get $s)
                          (f64.mul (f64.load (i32.add (local.get $row) (i32.shl (local.get $k) (i32.const 3))))
                                   (f64.load (i32.add (local.get $m) (i32.shl (i32.add (i32.shl (local.get $j) (i32.const 3)) (local.get $k)) (i32.const 3)))))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $kl)))
                    (f64.store (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 3))) (local.get $s))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $jl)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $il)))
            ;; pass 2
            (local.set $i (i32.const 0))
            (block $i2d
              (loop $i2l
                (br_if $i2d (i32.ge_u (local.get $i) (i32.const 8)))
                (local.set $row (i32.add (local.get $out)
                  (i32.shl (i32.add (i32.mul (i32.add (local.get $by) (local.get $i)) (local.get $size)) (local.get $bx)) (i32.const 3))))
                (local.set $j (i32.const 0))
                (block $j2d
                  (loop $j2l
                    (br_if $j2d (i32.ge_u (local.get $j) (i32.const 8)))
                    (local.set $s (f64.const 0))
                    (local.set $k (i32.const 0))
                    (block $k2d
                      (loop $k2l
                        (br_if $k2d (i32.ge_u (local.get $k) (i32.const 8)))
                        (local.set $s (f64.add (local.get $s)
                          (f64.mul (f64.load (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $k) (i32.const 3)) (local.get $j)) (i32.const 3))))
                                   (f64.load (i32.add (local.get $m) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $k)) (i32.const 3)))))))
                        (local.set $k (i32.add (local.get $k) (i32.const 1)))
                        (br $k2l)))
                    (f64.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 3))) (local.get $s))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $j2l)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $i2l)))
            (local.set $bx (i32.add (local.get $bx) (i32.const 8)))
            (br $bxl)))
        (local.set $by (i32.add (local.get $by) (i32.const 8)))
        (br $byl))))

  ;; out[y·size + x] = in[((y + dy) mod size)·size + (x + dx) mod size], size a power of two
  (func (export "shift") (param $in i32) (param $out i32) (param $size i32) (param $dx i32) (param $dy i32)
    (local $y i32) (local $x i32) (local $m i32) (local $row i32) (local $o i32)
    (local.set $m (i32.sub (local.get $size) (i32.const 1)))
    (local.set $o (local.get $out))
    (block $yd
      (loop $yl
        (br_if $yd (i32.ge_u (local.get $y) (local.get $size)))
        (local.set $row (i32.add (local.get $in) (i32.shl (i32.mul (i32.and (i32.add (local.get $y) (local.get $dy)) (local.get $m)) (local.get $size)) (i32.const 3))))
        (local.set $x (i32.const 0))
        (block $xd
          (loop $xl
            (br_if $xd (i32.ge_u (local.get $x) (local.get $size)))
            (f64.store (local.get $o) (f64.load (i32.add (local.get $row) (i32.shl (i32.and (i32.add (local.get $x) (local.get $dx)) (local.get $m)) (i32.const 3)))))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl))))
)
