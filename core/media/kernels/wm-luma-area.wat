;; The watermark grid's area average, fused with Pillow's luma (lumaRow in core/media/luma.ts and LumaGridSink's area
;; path in core/media/watermark/resample.ts): per row, each pixel's luma (19595 R + 38470 G + 7471 B + 2^15) >> 16
;; (the first channel for grey images), summed in integers over the columns of each grid cell and added to the cell's
;; f64 sum: integers throughout, so the same sums exactly. An RGB row's luma is made first, sixteen pixels at a time
;; (as kernels/luma.wat makes it: (R, G) and (G, B) pairs times (19595, 19235) and (19235, 7471) by i32x4.dot_i16x8_s),
;; into `lum`, and summed from there.
;; The caller lays out in memory:
;;   xe     outW × i32: one past the last column of each grid cell
;;   cells  rows × i32: the byte offset in acc of each row's grid row
;;   acc    outW × outH × f64
;;   band   rows × width × channels bytes (and 16 bytes past its end, read and ignored)
;;   lum    width bytes: a colour row's luma
(module
  (memory (export "memory") 64)

  (func (export "rows")
    (param $band i32) (param $rows i32) (param $width i32) (param $channels i32)
    (param $xe i32) (param $outW i32) (param $cells i32) (param $lum i32)
    (local $r i32) (local $p i32) (local $o i32) (local $x i32) (local $cellEnd i32) (local $s i32)
    (local $cell i32) (local $step i32) (local $stride i32)
    (local.set $r (i32.const 0))
    (block $rd
      (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $band) (i32.mul (i32.mul (local.get $r) (local.get $width)) (local.get $channels))))
        (local.set $cell (i32.load (i32.add (local.get $cells) (i32.shl (local.get $r) (i32.const 2)))))
        (if (i32.ge_u (local.get $channels) (i32.const 3))
          (then
            ;; the row's luma into lum (sixteen pixels at a time where they are RGB), then summed from there
            (local.set $x (i32.const 0))
            (block $ld
              (loop $ll
                (br_if $ld (i32.ne (local.get $channels) (i32.const 3)))
                (br_if $ld (i32.gt_u (i32.add (local.get $x) (i32.const 16)) (local.get $width)))
                (v128.store (i32.add (local.get $lum) (local.get $x))
                  (i8x16.narrow_i16x8_u
                    (i16x8.narrow_i32x4_u
                      (i32x4.shr_u
              (i32x4.add
                (i32x4.add
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=0 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
                    (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=0 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
                    (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
                (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (i32.const 16))
                      (i32x4.shr_u
              (i32x4.add
                (i32x4.add
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=12 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
                    (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=12 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
                    (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
                (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (i32.const 16)))
                    (i16x8.narrow_i32x4_u
                      (i32x4.shr_u
              (i32x4.add
                (i32x4.add
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=24 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
                    (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=24 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
                    (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
                (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (i32.const 16))
                      (i32x4.shr_u
              (i32x4.add
                (i32x4.add
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=36 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
                    (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
                  (i32x4.dot_i16x8_s
                    (i8x16.swizzle (v128.load offset=36 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
                    (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
                (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
              (i32.const 16)))))
                (local.set $p (i32.add (local.get $p) (i32.const 48)))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (br $ll)))
            (block $td
              (loop $tl
                (br_if $td (i32.ge_u (local.get $x) (local.get $width)))
                (i32.store8 (i32.add (local.get $lum) (local.get $x))
                  (i32.shr_u
                    (i32.add
                      (i32.add
                        (i32.add (i32.mul (i32.load8_u (local.get $p)) (i32.const 19595))
                                 (i32.mul (i32.load8_u offset=1 (local.get $p)) (i32.const 38470)))
                        (i32.mul (i32.load8_u offset=2 (local.get $p)) (i32.const 7471)))
                      (i32.const 0x8000))
                    (i32.const 16)))
                (local.set $p (i32.add (local.get $p) (local.get $channels)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $tl)))
            (local.set $p (local.get $lum))
            (local.set $stride (i32.const 1)))
          (else (local.set $stride (local.get $channels))))
        ;; the sums over each cell's columns, from lum (RGB) or the first channel (grey)
        (local.set $x (i32.const 0))
        (local.set $o (i32.const 0))
        (block $od
          (loop $ol
            (br_if $od (i32.ge_u (local.get $o) (local.get $outW)))
            (local.set $cellEnd (i32.load (i32.add (local.get $xe) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $s (i32.const 0))
            (block $xd
              (loop $xl
                (br_if $xd (i32.ge_u (local.get $x) (local.get $cellEnd)))
                (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
                (local.set $p (i32.add (local.get $p) (local.get $stride)))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $xl)))
            (local.set $step (i32.add (local.get $cell) (i32.shl (local.get $o) (i32.const 3))))
            (f64.store (local.get $step) (f64.add (f64.load (local.get $step)) (f64.convert_i32_u (local.get $s))))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $ol)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))
)
