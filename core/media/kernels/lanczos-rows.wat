;; Pillow's horizontal Lanczos pass (ImagingResampleHorizontal_8bpc) for the pHash, 4 taps at a time with WASM SIMD.
;; Exact: 8-bit luma × 22-bit fixed-point coefficients summed in i32 lanes; partial sums may wrap, the total fits.
;; The caller lays out in memory:
;;   luma    rows × width bytes, then ≥ 8 spare bytes (read, multiplied by zero coefficients)
;;   coeffs  outW × stride i32, each output's coefficients zero-padded to a multiple of 8
;;   bounds  outW × (xmin i32, groups i32): groups = 8-tap groups to sum
;;   out     rows × outW bytes
(module
  (memory (export "memory") 1)
  (func (export "rows")
    (param $luma i32) (param $rows i32) (param $width i32)
    (param $coeffs i32) (param $stride i32) (param $bounds i32) (param $outW i32) (param $out i32)
    (local $r i32) (local $xx i32) (local $p i32) (local $c i32) (local $g i32)
    (local $acc v128) (local $v v128) (local $ss i32)
    (local.set $r (i32.const 0))
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $xx (i32.const 0))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.get $xx) (local.get $outW)))
            ;; p = luma + r·width + xmin; c = coeffs + xx·stride·4; g = groups
            (local.set $p
              (i32.add
                (i32.add (local.get $luma) (i32.mul (local.get $r) (local.get $width)))
                (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $xx) (i32.const 3))))))
            (local.set $g (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $xx) (i32.const 3)))))
            (local.set $c (i32.add (local.get $coeffs) (i32.shl (i32.mul (local.get $xx) (local.get $stride)) (i32.const 2))))
            (local.set $acc (v128.const i32x4 0 0 0 0))
            (block $taps_done
              (loop $tap
                (br_if $taps_done (i32.eqz (local.get $g)))
                (local.set $v (v128.load64_zero (local.get $p)))
                (local.set $v (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $v)) (v128.load (local.get $c)))))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $v)) (v128.load offset=16 (local.get $c)))))
                (local.set $p (i32.add (local.get $p) (i32.const 8)))
                (local.set $c (i32.add (local.get $c) (i32.const 32)))
                (local.set $g (i32.sub (local.get $g) (i32.const 1)))
                (br $tap)))
            ;; ss = Σ lanes + 2^21; clip8 = 0 below 0, 255 from 2^30, else ss >> 22
            (local.set $ss
              (i32.add
                (i32.add
                  (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                  (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))
                (i32.const 2097152)))
            (i32.store8
              (i32.add (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $outW))) (local.get $xx))
              (select (i32.const 0)
                (select (i32.const 255) (i32.shr_s (local.get $ss) (i32.const 22)) (i32.ge_s (local.get $ss) (i32.const 1073741824)))
                (i32.lt_s (local.get $ss) (i32.const 0))))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))))
