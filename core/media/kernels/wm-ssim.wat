;; The SSIM gain's predicted loss at one gain (lossAt in ssimGain, core/media/watermark/embed.ts): the mean over the
;; sampled windows of w / (d + w), w = g² v, in f64. Two windows' quotients at a time in an f64x2, added to the sum one
;; after the other in the windows' order, so the same sum to the bit as the JavaScript's.
;; The caller lays out in memory: vs n × f64 (the change's variances), ds n × f64 (the host's 2σ² + C2).
(module
  (memory (export "memory") 64)

  (func (export "loss") (param $vs i32) (param $ds i32) (param $n i32) (param $g2 f64) (result f64)
    (local $j i32) (local $s f64) (local $q v128) (local $w v128) (local $g v128) (local $o i32) (local $x f64)
    (local.set $g (f64x2.splat (local.get $g2)))
    (block $d
      (loop $l
        (br_if $d (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (local.set $w (f64x2.mul (local.get $g) (v128.load (i32.add (local.get $vs) (local.get $o)))))
        (local.set $q (f64x2.div (local.get $w) (f64x2.add (v128.load (i32.add (local.get $ds) (local.get $o))) (local.get $w))))
        (local.set $s (f64.add (local.get $s) (f64x2.extract_lane 0 (local.get $q))))
        (local.set $s (f64.add (local.get $s) (f64x2.extract_lane 1 (local.get $q))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $l)))
    (if (i32.lt_u (local.get $j) (local.get $n))
      (then
        (local.set $o (i32.shl (local.get $j) (i32.const 3)))
        (local.set $x (f64.mul (local.get $g2) (f64.load (i32.add (local.get $vs) (local.get $o)))))
        (local.set $s (f64.add (local.get $s) (f64.div (local.get $x) (f64.add (f64.load (i32.add (local.get $ds) (local.get $o))) (local.get $x)))))))
    (f64.div (local.get $s) (f64.convert_i32_u (local.get $n))))
)
