;; The watermark grid's area average, fused with Pillow's luma (lumaRow in core/media/luma.ts and LumaGridSink's area
;; path in core/media/watermark/resample.ts): per row, each pixel's luma (19595 R + 38470 G + 7471 B + 2^15) >> 16
;; (the first channel for grey images), summed in integers over the columns of each grid cell and added to the cell's
;; f64 sum: integers throughout, so the same sums exactly.
;; The caller lays out in memory:
;;   xe     outW × i32: one past the last column of each grid cell
;;   cells  rows × i32: the byte offset in acc of each row's grid row
;;   acc    outW × outH × f64
;;   band   rows × width × channels bytes
(module
  (memory (export "memory") 64)

  (func (export "rows")
    (param $band i32) (param $rows i32) (param $width i32) (param $channels i32)
    (param $xe i32) (param $outW i32) (param $cells i32)
    (local $r i32) (local $p i32) (local $end i32) (local $o i32) (local $x i32) (local $cellEnd i32) (local $s i32)
    (local $cell i32) (local $step i32)
    (local.set $r (i32.const 0))
    (block $rd
      (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $band) (i32.mul (i32.mul (local.get $r) (local.get $width)) (local.get $channels))))
        (local.set $cell (i32.load (i32.add (local.get $cells) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $x (i32.const 0))
        (local.set $o (i32.const 0))
        (block $od
          (loop $ol
            (br_if $od (i32.ge_u (local.get $o) (local.get $outW)))
            (local.set $cellEnd (i32.load (i32.add (local.get $xe) (i32.shl (local.get $o) (i32.const 2)))))
            (local.set $s (i32.const 0))
            (if (i32.ge_u (local.get $channels) (i32.const 3))
              (then
                (block $xd
                  (loop $xl
                    (br_if $xd (i32.ge_u (local.get $x) (local.get $cellEnd)))
                    (local.set $s (i32.add (local.get $s)
                      (i32.shr_u
                        (i32.add
                          (i32.add
                            (i32.add (i32.mul (i32.load8_u (local.get $p)) (i32.const 19595))
                                     (i32.mul (i32.load8_u offset=1 (local.get $p)) (i32.const 38470)))
                            (i32.mul (i32.load8_u offset=2 (local.get $p)) (i32.const 7471)))
                          (i32.const 0x8000))
                        (i32.const 16))))
                    (local.set $p (i32.add (local.get $p) (local.get $channels)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $xl))))
              (else
                (block $gd
                  (loop $gl
                    (br_if $gd (i32.ge_u (local.get $x) (local.get $cellEnd)))
                    (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
                    (local.set $p (i32.add (local.get $p) (local.get $channels)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $gl)))))
            (local.set $step (i32.add (local.get $cell) (i32.shl (local.get $o) (i32.const 3))))
            (f64.store (local.get $step) (f64.add (f64.load (local.get $step)) (f64.convert_i32_u (local.get $s))))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $ol)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl))))
)
