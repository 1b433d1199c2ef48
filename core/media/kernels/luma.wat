;; Pillow's luma (lumaRow in core/media/luma.ts: (19595 R + 38470 G + 7471 B + 2^15) >> 16, the first channel of a
;; grey image) of `n` pixels of 3 channels, sixteen at a time. Four pixels at a time their bytes are spread into 16-bit
;; lanes as (R, G) and (G, B) pairs and multiplied pairwise with i32x4.dot_i16x8_s by (19595, 19235) and (19235, 7471):
;; 38470 G is 19235 G twice, so every weight fits a signed 16-bit lane; integers throughout, so the same bytes as the
;; JavaScript. The pixels that do not fill sixteen are done one at a time.
;; The caller lays out in memory: src n × 3 bytes (and 4 bytes past its end, read and ignored), out n bytes.
(module
  (memory (export "memory") 16)

  (func (export "rgb") (param $src i32) (param $out i32) (param $n i32)
    (local $i i32) (local $p i32)
    (local.set $p (local.get $src))
    (block $d
      (loop $l
        (br_if $d (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_u (i32x4.shr_u
      (i32x4.add
        (i32x4.add
          (i32x4.dot_i16x8_s
            (i8x16.swizzle (v128.load offset=0 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
            (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
          (i32x4.dot_i16x8_s
            (i8x16.swizzle (v128.load offset=0 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
            (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
        (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
      (i32.const 16)) (i32x4.shr_u
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
            (i16x8.narrow_i32x4_u (i32x4.shr_u
      (i32x4.add
        (i32x4.add
          (i32x4.dot_i16x8_s
            (i8x16.swizzle (v128.load offset=24 (local.get $p)) (v128.const i8x16 0 0x80 1 0x80 3 0x80 4 0x80 6 0x80 7 0x80 9 0x80 10 0x80))
            (v128.const i16x8 19595 19235 19595 19235 19595 19235 19595 19235))
          (i32x4.dot_i16x8_s
            (i8x16.swizzle (v128.load offset=24 (local.get $p)) (v128.const i8x16 1 0x80 2 0x80 4 0x80 5 0x80 7 0x80 8 0x80 10 0x80 11 0x80))
            (v128.const i16x8 19235 7471 19235 7471 19235 7471 19235 7471)))
        (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
      (i32.const 16)) (i32x4.shr_u
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
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $l)))
    (block $td
      (loop $tl
        (br_if $td (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $out) (local.get $i))
          (i32.shr_u
            (i32.add
              (i32.add
                (i32.add (i32.mul (i32.load8_u (local.get $p)) (i32.const 19595))
                         (i32.mul (i32.load8_u offset=1 (local.get $p)) (i32.const 38470)))
                (i32.mul (i32.load8_u offset=2 (local.get $p)) (i32.const 7471)))
              (i32.const 0x8000))
            (i32.const 16)))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tl))))
)
