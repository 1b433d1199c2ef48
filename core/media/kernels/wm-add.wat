;; The watermark's add-back (addGridDelta in core/media/watermark/resample.ts): the grid-resolution luminance change
;; upsampled bilinearly to each full-resolution pixel and added to its colour channels, clamped to 0..255. Per row:
;; the grid row interpolated between its two grid rows (f64 arithmetic, kept as f32, as the JavaScript keeps it in a
;; Float32Array), each column's change floor(a + f (b - a) + 0.5) in f64, written once per colour channel into an
;; i16 row (0 on the others: alpha), then added to the pixel bytes sixteen at a time with unsigned saturation, which
;; is the Uint8ClampedArray's clamp for integers. The same arithmetic in the same order, so the same bytes.
;; The caller lays out in memory:
;;   delta  gw × gh × f32     the grid's change
;;   yi0    height × i32      per image row: its upper grid row;  yf  height × f32: the weight of the lower one
;;   xi0    width × i32       per column: the byte offset (4 × its left grid column) in row; xf width × f64: the weight
;;                            of the right one (the left column is at most gw − 2 where gw > 1, so the right one is
;;                            the next; row has one more cell, a copy of the last, for gw = 1)
;;   row    (gw + 1) × f32    scratch: the interpolated grid row
;;   add    width × channels × i16 (+ 16 bytes)   scratch: the change per byte of a pixel row
;;   band   rows × width × channels bytes        the pixel rows y0 … y0 + rows − 1, changed in place
(module
  (memory (export "memory") 64)

  (func (export "rows")
    (param $band i32) (param $y0 i32) (param $rows i32) (param $width i32) (param $channels i32) (param $colour i32)
    (param $delta i32) (param $gw i32) (param $gh i32) (param $yi0 i32) (param $yf i32)
    (param $xi0 i32) (param $xf i32) (param $row i32) (param $add i32)
    (local $r i32) (local $y i32) (local $r0 i32) (local $r1 i32) (local $fy f64) (local $x i32) (local $a f64)
    (local $d i32) (local $q i32) (local $c i32) (local $n i32) (local $p i32) (local $i i32) (local $v v128)
    (local $s i32) (local $o i32)
    (local.set $n (i32.mul (local.get $width) (local.get $channels)))
    (local.set $r (i32.const 0))
    (block $rd
      (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $y (i32.add (local.get $y0) (local.get $r)))
        ;; the grid row: delta[r0 + x] + fy (delta[r1 + x] − delta[r0 + x]), as f32
        (local.set $r0 (i32.load (i32.add (local.get $yi0) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $r1 (i32.add (local.get $r0) (i32.const 1)))
        (if (i32.gt_s (local.get $r1) (i32.sub (local.get $gh) (i32.const 1)))
          (then (local.set $r1 (i32.sub (local.get $gh) (i32.const 1)))))
        (local.set $r0 (i32.add (local.get $delta) (i32.shl (i32.mul (local.get $r0) (local.get $gw)) (i32.const 2))))
        (local.set $r1 (i32.add (local.get $delta) (i32.shl (i32.mul (local.get $r1) (local.get $gw)) (i32.const 2))))
        (local.set $fy (f64.promote_f32 (f32.load (i32.add (local.get $yf) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $x (i32.const 0))
        (block $gd
          (loop $gl
            (br_if $gd (i32.ge_u (local.get $x) (local.get $gw)))
            (local.set $q (i32.shl (local.get $x) (i32.const 2)))
            (local.set $a (f64.promote_f32 (f32.load (i32.add (local.get $r0) (local.get $q)))))
            (f32.store (i32.add (local.get $row) (local.get $q))
              (f32.demote_f64
                (f64.add (local.get $a)
                  (f64.mul (local.get $fy)
                    (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $r1) (local.get $q)))) (local.get $a))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $gl)))
        ;; the cell past the last: a copy of it (gw = 1 reads it as its right neighbour)
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $gw) (i32.const 2)))
          (f32.load (i32.add (local.get $row) (i32.shl (i32.sub (local.get $gw) (i32.const 1)) (i32.const 2)))))
        ;; each column's change, once per colour channel (0 on the others)
        (local.set $x (i32.const 0))
        (local.set $p (local.get $add))
        (if (i32.eq (local.get $channels) (i32.const 3))
          (then
            (block $xd
              (loop $xl
                (br_if $xd (i32.ge_u (local.get $x) (local.get $width)))
                (local.set $d (block (result i32)
                  (local.set $o (i32.add (local.get $row) (i32.load (i32.add (local.get $xi0) (i32.shl (local.get $x) (i32.const 2))))))
                  (local.set $a (f64.promote_f32 (f32.load (local.get $o))))
                  (i32.trunc_sat_f64_s
                    (f64.floor
                      (f64.add
                        (f64.add (local.get $a)
                          (f64.mul (f64.load (i32.add (local.get $xf) (i32.shl (local.get $x) (i32.const 3))))
                            (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $o))) (local.get $a))))
                        (f64.const 0.5))))))
                ;; three i16 copies in one store; the fourth is the next pixel's, written over next (16 bytes of slack)
                (i64.store (local.get $p) (i64.mul (i64.extend_i32_u (i32.and (local.get $d) (i32.const 0xffff))) (i64.const 0x0001000100010001)))
                (local.set $p (i32.add (local.get $p) (i32.const 6)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $xl))))
          (else
            (block $xd2
              (loop $xl2
                (br_if $xd2 (i32.ge_u (local.get $x) (local.get $width)))
                (local.set $d (block (result i32)
                  (local.set $o (i32.add (local.get $row) (i32.load (i32.add (local.get $xi0) (i32.shl (local.get $x) (i32.const 2))))))
                  (local.set $a (f64.promote_f32 (f32.load (local.get $o))))
                  (i32.trunc_sat_f64_s
                    (f64.floor
                      (f64.add
                        (f64.add (local.get $a)
                          (f64.mul (f64.load (i32.add (local.get $xf) (i32.shl (local.get $x) (i32.const 3))))
                            (f64.sub (f64.promote_f32 (f32.load offset=4 (local.get $o))) (local.get $a))))
                        (f64.const 0.5))))))
                (local.set $c (i32.const 0))
                (block $cd
                  (loop $cl
                    (br_if $cd (i32.ge_u (local.get $c) (local.get $channels)))
                    (i32.store16 (local.get $p) (select (local.get $d) (i32.const 0) (i32.lt_u (local.get $c) (local.get $colour))))
                    (local.set $p (i32.add (local.get $p) (i32.const 2)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $cl)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $xl2)))))
        ;; the bytes of the row plus their change, sixteen at a time, saturated to 0..255
        (local.set $p (i32.add (local.get $band) (i32.mul (local.get $r) (local.get $n))))
        (local.set $i (i32.const 0))
        (block $sd
          (loop $sl
            (br_if $sd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
            (local.set $v (v128.load (i32.add (local.get $p) (local.get $i))))
            (local.set $q (i32.add (local.get $add) (i32.shl (local.get $i) (i32.const 1))))
            (v128.store (i32.add (local.get $p) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.add (i16x8.extend_low_i8x16_u (local.get $v)) (v128.load (local.get $q)))
                (i16x8.add (i16x8.extend_high_i8x16_u (local.get $v)) (v128.load offset=16 (local.get $q)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $sl)))
        (block $td
          (loop $tl
            (br_if $td (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $s
              (i32.add (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                (i32.load16_s (i32.add (local.get $add) (i32.shl (local.get $i) (i32.const 1))))))
            (if (i32.lt_s (local.get $s) (i32.const 0)) (then (local.set $s (i32.const 0))))
            (if (i32.gt_s (local.get $s) (i32.const 255)) (then (local.set $s (i32.const 255))))
            (i32.store8 (i32.add (local.get $p) (local.get $i)) (local.get $s))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))
)
