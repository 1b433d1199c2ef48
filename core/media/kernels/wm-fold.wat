;; The watermark's folds under a candidate geometry (foldScaled and foldMapped in core/media/watermark/grid.ts): each
;; embedded-grid position read bilinearly from the f32 grid and summed, in f64, into its cell of the t×t tile. The
;; same arithmetic in the same order as the JavaScript, so the same tile to the bit: two neighbouring positions at a time
;; with SIMD (f64x2, each lane the scalar operations) where both fall inside the grid, one at a time elsewhere.
;; The caller lays out in memory:
;;   src    w × h × f32, the grid
;;   tile   t × t × f64, zeroed
;;   scaled only: xs (nu × i32, −1 where the column is outside), fxs (nu × f64), ys (nv × i32, −1 likewise), fys (nv × f64)
(module
  (memory (export "memory") 64)

  ;; each read: a = s[p] + fx·(s[p + 1] − s[p]), b the same a row down, then tile += a, += fy·(b − a) (in that order, as
  ;; the JavaScript adds them)

  ;; Two reads side by side, at q0 and q1 (their cells at cell and cell + 8), each lane the scalar arithmetic:
  ;; a = s[q] + fx·(s[q + 1] − s[q]), b the same a row (w4 bytes) down, cell += a, += fy·(b − a)
  (func $pair (param $q0 i32) (param $q1 i32) (param $w4 i32) (param $fx v128) (param $fy v128) (param $cell i32)
    (local $a v128) (local $b v128) (local $ba v128) (local $bb v128)
    ;; [s[q0], s[q0 + 1]] and [s[q1], s[q1 + 1]] → [s[q0], s[q1]] and [s[q0 + 1], s[q1 + 1]]
    (local.set $a (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $q0))))
    (local.set $b (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $q1))))
    (local.set $ba (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
    (local.set $ba (f64x2.add (local.get $ba) (f64x2.mul (local.get $fx)
      (f64x2.sub (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)) (local.get $ba)))))
    (local.set $a (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $q0) (local.get $w4)))))
    (local.set $b (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $q1) (local.get $w4)))))
    (local.set $bb (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
    (local.set $bb (f64x2.add (local.get $bb) (f64x2.mul (local.get $fx)
      (f64x2.sub (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)) (local.get $bb)))))
    (v128.store (local.get $cell)
      (f64x2.add (f64x2.add (v128.load (local.get $cell)) (local.get $ba)) (f64x2.mul (local.get $fy) (f64x2.sub (local.get $bb) (local.get $ba))))))

  ;; foldScaled: rows v0 … v0 + nv − 1 and columns u0 … u0 + nu − 1 of the frame, their source positions precomputed
  (func (export "scaled")
    (param $src i32) (param $w i32) (param $tile i32) (param $t i32)
    (param $xs i32) (param $fxs i32) (param $u0 i32) (param $nu i32)
    (param $ys i32) (param $fys i32) (param $v0 i32) (param $nv i32)
    (local $vi i32) (local $ui i32) (local $y0 i32) (local $fy f64) (local $r i32) (local $row i32) (local $x0 i32)
    (local $mask i32) (local $cell i32)
    (local $q i32) (local $s0 f64) (local $ba f64) (local $bb f64) (local $bfx f64) (local $bfy f64) (local $w4 i32)
    (local $x1 i32) (local $vfy v128)
    (local.set $w4 (i32.shl (local.get $w) (i32.const 2)))
    (local.set $mask (i32.sub (local.get $t) (i32.const 1)))
    (local.set $vi (i32.const 0))
    (block $vd
      (loop $vl
        (br_if $vd (i32.ge_u (local.get $vi) (local.get $nv)))
        (local.set $y0 (i32.load (i32.add (local.get $ys) (i32.shl (local.get $vi) (i32.const 2)))))
        (if (i32.ge_s (local.get $y0) (i32.const 0))
          (then
            (local.set $fy (f64.load (i32.add (local.get $fys) (i32.shl (local.get $vi) (i32.const 3)))))
            (local.set $r (i32.add (local.get $tile)
              (i32.shl (i32.mul (i32.and (i32.add (local.get $v0) (local.get $vi)) (local.get $mask)) (local.get $t)) (i32.const 3))))
            (local.set $row (i32.mul (local.get $y0) (local.get $w)))
            (local.set $ui (i32.const 0))
            (local.set $vfy (f64x2.splat (local.get $fy)))
            (block $ud
              (loop $ul
                (br_if $ud (i32.ge_u (local.get $ui) (local.get $nu)))
                ;; two columns at once (u0 + ui even, so their cells are side by side) when both are inside
                (block $one
                  (br_if $one (i32.or (i32.and (i32.add (local.get $u0) (local.get $ui)) (i32.const 1))
                    (i32.ge_u (i32.add (local.get $ui) (i32.const 1)) (local.get $nu))))
                  (local.set $x0 (i32.load (i32.add (local.get $xs) (i32.shl (local.get $ui) (i32.const 2)))))
                  (local.set $x1 (i32.load offset=4 (i32.add (local.get $xs) (i32.shl (local.get $ui) (i32.const 2)))))
                  (br_if $one (i32.lt_s (i32.or (local.get $x0) (local.get $x1)) (i32.const 0)))
                  (call $pair
                    (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $x0)) (i32.const 2)))
                    (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $x1)) (i32.const 2)))
                    (local.get $w4)
                    (v128.load (i32.add (local.get $fxs) (i32.shl (local.get $ui) (i32.const 3))))
                    (local.get $vfy)
                    (i32.add (local.get $r) (i32.shl (i32.and (i32.add (local.get $u0) (local.get $ui)) (local.get $mask)) (i32.const 3))))
                  (local.set $ui (i32.add (local.get $ui) (i32.const 2)))
                  (br $ul))
                (local.set $x0 (i32.load (i32.add (local.get $xs) (i32.shl (local.get $ui) (i32.const 2)))))
                (if (i32.ge_s (local.get $x0) (i32.const 0))
                  (then
                    (local.set $cell (i32.add (local.get $r)
                      (i32.shl (i32.and (i32.add (local.get $u0) (local.get $ui)) (local.get $mask)) (i32.const 3))))
                    (f64.store (local.get $cell)
                      (block (result f64)
                      (local.set $bfx (f64.load (i32.add (local.get $fxs) (i32.shl (local.get $ui) (i32.const 3)))))
                      (local.set $bfy (local.get $fy))
                      (local.set $q (i32.add (local.get $src) (i32.shl (i32.add (local.get $row) (local.get $x0)) (i32.const 2))))
                      (local.set $s0 (f64.promote_f32 (f32.load (local.get $q))))
                      (local.set $ba (f64.add (local.get $s0)
                        (f64.mul (local.get $bfx) (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $q))) (local.get $s0)))))
                      (local.set $q (i32.add (local.get $q) (local.get $w4)))
                      (local.set $s0 (f64.promote_f32 (f32.load (local.get $q))))
                      (local.set $bb (f64.add (local.get $s0)
                        (f64.mul (local.get $bfx) (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $q))) (local.get $s0)))))
                      (f64.add (f64.add (f64.load (local.get $cell)) (local.get $ba)) (f64.mul (local.get $bfy) (f64.sub (local.get $bb) (local.get $ba))))))))
                (local.set $ui (i32.add (local.get $ui) (i32.const 1)))
                (br $ul)))))
        (local.set $vi (i32.add (local.get $vi) (i32.const 1)))
        (br $vl))))

  ;; foldMapped: position u of the frame read at x = cx + ma·du + mb·dv, y = cy + mc·du + md·dv (du = u − ucx, dv = v − ucy)
  (func (export "mapped")
    (param $src i32) (param $w i32) (param $h i32) (param $tile i32) (param $t i32)
    (param $ma f64) (param $mb f64) (param $mc f64) (param $md f64)
    (param $cx f64) (param $cy f64) (param $ucx f64) (param $ucy f64)
    (param $u0 i32) (param $u1 i32) (param $v0 i32) (param $v1 i32)
    (local $v i32) (local $u i32) (local $dv f64) (local $du f64) (local $x f64) (local $y f64)
    (local $xmax f64) (local $ymax f64) (local $x0 f64) (local $y0 f64) (local $wm2 f64) (local $hm2 f64)
    (local $r i32) (local $mask i32) (local $cell i32)
    (local $q i32) (local $s0 f64) (local $ba f64) (local $bb f64) (local $bfx f64) (local $bfy f64) (local $w4 i32)
    (local $q1 i32) (local $vucx v128) (local $vcx v128) (local $vcy v128) (local $vma v128) (local $vmc v128)
    (local $vmbdv v128) (local $vmddv v128) (local $vdu v128) (local $vx v128) (local $vy v128) (local $vxmax v128)
    (local $vymax v128) (local $vwm2 v128) (local $vhm2 v128) (local $vx0 v128) (local $vy0 v128) (local $vfx v128)
    (local $vfy v128) (local $vi v128)
    (local.set $w4 (i32.shl (local.get $w) (i32.const 2)))
    (local.set $mask (i32.sub (local.get $t) (i32.const 1)))
    (local.set $xmax (f64.convert_i32_s (i32.sub (local.get $w) (i32.const 1))))
    (local.set $ymax (f64.convert_i32_s (i32.sub (local.get $h) (i32.const 1))))
    (local.set $wm2 (f64.convert_i32_s (i32.sub (local.get $w) (i32.const 2))))
    (local.set $hm2 (f64.convert_i32_s (i32.sub (local.get $h) (i32.const 2))))
    (local.set $vucx (f64x2.splat (local.get $ucx)))
    (local.set $vcx (f64x2.splat (local.get $cx)))
    (local.set $vcy (f64x2.splat (local.get $cy)))
    (local.set $vma (f64x2.splat (local.get $ma)))
    (local.set $vmc (f64x2.splat (local.get $mc)))
    (local.set $vxmax (f64x2.splat (local.get $xmax)))
    (local.set $vymax (f64x2.splat (local.get $ymax)))
    (local.set $vwm2 (f64x2.splat (local.get $wm2)))
    (local.set $vhm2 (f64x2.splat (local.get $hm2)))
    (local.set $v (local.get $v0))
    (block $vd
      (loop $vl
        (br_if $vd (i32.ge_s (local.get $v) (local.get $v1)))
        (local.set $dv (f64.sub (f64.convert_i32_s (local.get $v)) (local.get $ucy)))
        (local.set $r (i32.add (local.get $tile)
          (i32.shl (i32.mul (i32.and (local.get $v) (local.get $mask)) (local.get $t)) (i32.const 3))))
        (local.set $u (local.get $u0))
        (local.set $vmbdv (f64x2.splat (f64.mul (local.get $mb) (local.get $dv))))
        (local.set $vmddv (f64x2.splat (f64.mul (local.get $md) (local.get $dv))))
        (block $ud
          (loop $ul
            (br_if $ud (i32.ge_s (local.get $u) (local.get $u1)))
            ;; two positions u, u + 1 at once (u even, so their cells are side by side) when both fall inside: each
            ;; lane the scalar arithmetic below
            (block $one
              (br_if $one (i32.or (i32.and (local.get $u) (i32.const 1)) (i32.ge_s (i32.add (local.get $u) (i32.const 1)) (local.get $u1))))
              (local.set $vdu (f64x2.sub (f64x2.convert_low_i32x4_s (i32x4.add (i32x4.splat (local.get $u)) (v128.const i32x4 0 1 0 0))) (local.get $vucx)))
              (local.set $vx (f64x2.add (f64x2.add (local.get $vcx) (f64x2.mul (local.get $vma) (local.get $vdu))) (local.get $vmbdv)))
              (local.set $vy (f64x2.add (f64x2.add (local.get $vcy) (f64x2.mul (local.get $vmc) (local.get $vdu))) (local.get $vmddv)))
              (br_if $one (v128.any_true (v128.or
                (v128.or (f64x2.lt (local.get $vx) (v128.const f64x2 0 0)) (f64x2.lt (local.get $vy) (v128.const f64x2 0 0)))
                (v128.or (f64x2.gt (local.get $vx) (local.get $vxmax)) (f64x2.gt (local.get $vy) (local.get $vymax))))))
              (local.set $vx0 (f64x2.min (f64x2.floor (local.get $vx)) (local.get $vwm2)))
              (local.set $vy0 (f64x2.min (f64x2.floor (local.get $vy)) (local.get $vhm2)))
              (local.set $vfx (f64x2.sub (local.get $vx) (local.get $vx0)))
              (local.set $vfy (f64x2.sub (local.get $vy) (local.get $vy0)))
              (local.set $vi (i32x4.add
                (i32x4.mul (i32x4.trunc_sat_f64x2_s_zero (local.get $vy0)) (i32x4.splat (local.get $w)))
                (i32x4.trunc_sat_f64x2_s_zero (local.get $vx0))))
              (local.set $q (i32.add (local.get $src) (i32.shl (i32x4.extract_lane 0 (local.get $vi)) (i32.const 2))))
              (local.set $q1 (i32.add (local.get $src) (i32.shl (i32x4.extract_lane 1 (local.get $vi)) (i32.const 2))))
              (call $pair (local.get $q) (local.get $q1) (local.get $w4) (local.get $vfx) (local.get $vfy)
                (i32.add (local.get $r) (i32.shl (i32.and (local.get $u) (local.get $mask)) (i32.const 3))))
              (local.set $u (i32.add (local.get $u) (i32.const 2)))
              (br $ul))
            (local.set $du (f64.sub (f64.convert_i32_s (local.get $u)) (local.get $ucx)))
            (local.set $x (f64.add (f64.add (local.get $cx) (f64.mul (local.get $ma) (local.get $du))) (f64.mul (local.get $mb) (local.get $dv))))
            (local.set $y (f64.add (f64.add (local.get $cy) (f64.mul (local.get $mc) (local.get $du))) (f64.mul (local.get $md) (local.get $dv))))
            (if (i32.eqz (i32.or
                  (i32.or (f64.lt (local.get $x) (f64.const 0)) (f64.lt (local.get $y) (f64.const 0)))
                  (i32.or (f64.gt (local.get $x) (local.get $xmax)) (f64.gt (local.get $y) (local.get $ymax)))))
              (then
                (local.set $x0 (f64.min (f64.floor (local.get $x)) (local.get $wm2)))
                (local.set $y0 (f64.min (f64.floor (local.get $y)) (local.get $hm2)))
                (local.set $cell (i32.add (local.get $r) (i32.shl (i32.and (local.get $u) (local.get $mask)) (i32.const 3))))
                (f64.store (local.get $cell)
                  (block (result f64)
                      (local.set $bfx (f64.sub (local.get $x) (local.get $x0)))
                      (local.set $bfy (f64.sub (local.get $y) (local.get $y0)))
                      (local.set $q (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (i32.trunc_f64_s (local.get $y0)) (local.get $w)) (i32.trunc_f64_s (local.get $x0))) (i32.const 2))))
                      (local.set $s0 (f64.promote_f32 (f32.load (local.get $q))))
                      (local.set $ba (f64.add (local.get $s0)
                        (f64.mul (local.get $bfx) (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $q))) (local.get $s0)))))
                      (local.set $q (i32.add (local.get $q) (local.get $w4)))
                      (local.set $s0 (f64.promote_f32 (f32.load (local.get $q))))
                      (local.set $bb (f64.add (local.get $s0)
                        (f64.mul (local.get $bfx) (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $q))) (local.get $s0)))))
                      (f64.add (f64.add (f64.load (local.get $cell)) (local.get $ba)) (f64.mul (local.get $bfy) (f64.sub (local.get $bb) (local.get $ba))))))))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $ul)))
        (local.set $v (i32.add (local.get $v) (i32.const 1)))
        (br $vl))))

  ;; fold() at scale 1 and no rotation over the whole grid: tile[(y mod t)·t + x mod t] += src[y·w + x], row after row
  (func (export "sum") (param $src i32) (param $w i32) (param $h i32) (param $tile i32) (param $t i32)
    (local $y i32) (local $x i32) (local $r i32) (local $p i32) (local $cell i32) (local $mask i32)
    (local.set $mask (i32.sub (local.get $t) (i32.const 1)))
    (local.set $p (local.get $src))
    (block $yd
      (loop $yl
        (br_if $yd (i32.ge_u (local.get $y) (local.get $h)))
        (local.set $r (i32.add (local.get $tile) (i32.shl (i32.mul (i32.and (local.get $y) (local.get $mask)) (local.get $t)) (i32.const 3))))
        (local.set $x (i32.const 0))
        (block $xd
          (loop $xl
            (br_if $xd (i32.ge_u (local.get $x) (local.get $w)))
            (local.set $cell (i32.add (local.get $r) (i32.shl (i32.and (local.get $x) (local.get $mask)) (i32.const 3))))
            (f64.store (local.get $cell) (f64.add (f64.load (local.get $cell)) (f64.promote_f32 (f32.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $xl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl))))
)
