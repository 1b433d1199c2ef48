;; The watermark's radix-2 complex FFT (core/media/watermark/fft.ts), f64, two butterflies a step with WASM SIMD.
;; The same arithmetic as fft1 in fft.ts for every butterfly (xr = re[b]·cr − im[b]·ci, xi = re[b]·ci + im[b]·cr,
;; then a ∓ x), so the same results to the bit: only the order in which a stage's independent butterflies run differs.
;; The caller lays out in memory:
;;   rev   n × i32 bit-reversal permutation
;;   twc   n − 1 × f64: per stage of length len (half = len / 2), cos(−2πk/len) for k < half, at entry half − 1
;;   tws   the same for sin (negated here for an inverse transform)
;;   re/im count × n × f64 (rows); fft2's tr/ti are not used (the columns are transformed in place)
(module
  (memory (export "memory") 16)

  ;; count contiguous transforms of length n, in place
  (func $rows (export "rows")
    (param $re i32) (param $im i32) (param $count i32) (param $n i32) (param $inverse i32)
    (param $rev i32) (param $twc i32) (param $tws i32)
    (local $r i32) (local $ro i32) (local $io i32) (local $i i32) (local $j i32) (local $t f64)
    (local $len i32) (local $half i32) (local $hb i32) (local $tb i32) (local $k i32) (local $a i32) (local $b i32)
    (local $cr f64) (local $ci f64) (local $xr f64) (local $xi f64) (local $rb f64) (local $ib f64)
    (local $vcr v128) (local $vci v128) (local $vxr v128) (local $vxi v128) (local $vrb v128) (local $vib v128)
    (local $vra v128) (local $via v128) (local $kb i32) (local $ab i32)
    (local.set $r (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $ro (i32.add (local.get $re) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 3))))
        (local.set $io (i32.add (local.get $im) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 3))))
        ;; bit reversal
        (local.set $i (i32.const 1))
        (block $rev_done
          (loop $rev_loop
            (br_if $rev_done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $j (i32.load (i32.add (local.get $rev) (i32.shl (local.get $i) (i32.const 2)))))
            (if (i32.lt_u (local.get $i) (local.get $j))
              (then
                (local.set $a (i32.shl (local.get $i) (i32.const 3)))
                (local.set $b (i32.shl (local.get $j) (i32.const 3)))
                (local.set $t (f64.load (i32.add (local.get $ro) (local.get $a))))
                (f64.store (i32.add (local.get $ro) (local.get $a)) (f64.load (i32.add (local.get $ro) (local.get $b))))
                (f64.store (i32.add (local.get $ro) (local.get $b)) (local.get $t))
                (local.set $t (f64.load (i32.add (local.get $io) (local.get $a))))
                (f64.store (i32.add (local.get $io) (local.get $a)) (f64.load (i32.add (local.get $io) (local.get $b))))
                (f64.store (i32.add (local.get $io) (local.get $b)) (local.get $t))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rev_loop)))
        ;; stage of length 2 (half = 1, one twiddle): scalar
        (local.set $cr (f64.load (local.get $twc)))
        (local.set $ci (f64.load (local.get $tws)))
        (if (local.get $inverse) (then (local.set $ci (f64.neg (local.get $ci)))))
        (local.set $i (i32.const 0))
        (block $s2_done
          (loop $s2
            (br_if $s2_done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $a (i32.shl (local.get $i) (i32.const 3)))
            (local.set $b (i32.add (local.get $a) (i32.const 8)))
            (local.set $rb (f64.load (i32.add (local.get $ro) (local.get $b))))
            (local.set $ib (f64.load (i32.add (local.get $io) (local.get $b))))
            (local.set $xr (f64.sub (f64.mul (local.get $rb) (local.get $cr)) (f64.mul (local.get $ib) (local.get $ci))))
            (local.set $xi (f64.add (f64.mul (local.get $rb) (local.get $ci)) (f64.mul (local.get $ib) (local.get $cr))))
            (f64.store (i32.add (local.get $ro) (local.get $b)) (f64.sub (f64.load (i32.add (local.get $ro) (local.get $a))) (local.get $xr)))
            (f64.store (i32.add (local.get $io) (local.get $b)) (f64.sub (f64.load (i32.add (local.get $io) (local.get $a))) (local.get $xi)))
            (f64.store (i32.add (local.get $ro) (local.get $a)) (f64.add (f64.load (i32.add (local.get $ro) (local.get $a))) (local.get $xr)))
            (f64.store (i32.add (local.get $io) (local.get $a)) (f64.add (f64.load (i32.add (local.get $io) (local.get $a))) (local.get $xi)))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $s2)))
        ;; stages of length 4 … n: two butterflies (k, k + 1) a step
        (local.set $len (i32.const 4))
        (block $stages_done
          (loop $stage
            (br_if $stages_done (i32.gt_u (local.get $len) (local.get $n)))
            (local.set $half (i32.shr_u (local.get $len) (i32.const 1)))
            (local.set $hb (i32.shl (local.get $half) (i32.const 3)))
            (local.set $tb (i32.shl (i32.sub (local.get $half) (i32.const 1)) (i32.const 3)))
            (local.set $i (i32.const 0))
            (block $blocks_done
              (loop $block
                (br_if $blocks_done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $ab (i32.shl (local.get $i) (i32.const 3)))
                (local.set $kb (i32.const 0))
                (block $k_done
                  (loop $kl
                    (br_if $k_done (i32.ge_u (local.get $kb) (local.get $hb)))
                    (local.set $vcr (v128.load (i32.add (i32.add (local.get $twc) (local.get $tb)) (local.get $kb))))
                    (local.set $vci (v128.load (i32.add (i32.add (local.get $tws) (local.get $tb)) (local.get $kb))))
                    (if (local.get $inverse) (then (local.set $vci (f64x2.neg (local.get $vci)))))
                    (local.set $a (i32.add (local.get $ab) (local.get $kb)))
                    (local.set $b (i32.add (local.get $a) (local.get $hb)))
                    (local.set $vrb (v128.load (i32.add (local.get $ro) (local.get $b))))
                    (local.set $vib (v128.load (i32.add (local.get $io) (local.get $b))))
                    (local.set $vra (v128.load (i32.add (local.get $ro) (local.get $a))))
                    (local.set $via (v128.load (i32.add (local.get $io) (local.get $a))))
                    (local.set $vxr (f64x2.sub (f64x2.mul (local.get $vrb) (local.get $vcr)) (f64x2.mul (local.get $vib) (local.get $vci))))
                    (local.set $vxi (f64x2.add (f64x2.mul (local.get $vrb) (local.get $vci)) (f64x2.mul (local.get $vib) (local.get $vcr))))
                    (v128.store (i32.add (local.get $ro) (local.get $b)) (f64x2.sub (local.get $vra) (local.get $vxr)))
                    (v128.store (i32.add (local.get $io) (local.get $b)) (f64x2.sub (local.get $via) (local.get $vxi)))
                    (v128.store (i32.add (local.get $ro) (local.get $a)) (f64x2.add (local.get $vra) (local.get $vxr)))
                    (v128.store (i32.add (local.get $io) (local.get $a)) (f64x2.add (local.get $via) (local.get $vxi)))
                    (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                    (br $kl)))
                (local.set $i (i32.add (local.get $i) (local.get $len)))
                (br $block)))
            (local.set $len (i32.shl (local.get $len) (i32.const 1)))
            (br $stage)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))

  ;; (re + i·im) · conj(p) into (or, oi), n values: or = ar·pr + ai·pi, oi = ai·pr − ar·pi
  (func $product (export "product")
    (param $re i32) (param $im i32) (param $pr i32) (param $pi i32) (param $or i32) (param $oi i32) (param $n i32)
    (local $i i32) (local $ar f64) (local $ai f64) (local $vr f64) (local $vi f64) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $ar (f64.load (i32.add (local.get $re) (local.get $i))))
        (local.set $ai (f64.load (i32.add (local.get $im) (local.get $i))))
        (local.set $vr (f64.load (i32.add (local.get $pr) (local.get $i))))
        (local.set $vi (f64.load (i32.add (local.get $pi) (local.get $i))))
        (f64.store (i32.add (local.get $or) (local.get $i)) (f64.add (f64.mul (local.get $ar) (local.get $vr)) (f64.mul (local.get $ai) (local.get $vi))))
        (f64.store (i32.add (local.get $oi) (local.get $i)) (f64.sub (f64.mul (local.get $ai) (local.get $vr)) (f64.mul (local.get $ar) (local.get $vi))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l))))

  ;; A surface's peak and energy (surfacePeaks in fft.ts): out[0] = Σ c[i]² summed in index order (f64), out[1] the
  ;; largest value and out[2] (as an i32) its index, the first of equal ones; n values at c
  (func (export "peak") (param $c i32) (param $n i32) (param $out i32)
    (local $i i32) (local $end i32) (local $v f64) (local $s2 f64) (local $max f64) (local $at i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $max (f64.load (local.get $c)))
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (f64.load (i32.add (local.get $c) (local.get $i))))
        (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $v) (local.get $v))))
        (if (f64.gt (local.get $v) (local.get $max))
          (then
            (local.set $max (local.get $v))
            (local.set $at (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l)))
    (f64.store (local.get $out) (local.get $s2))
    (f64.store offset=8 (local.get $out) (local.get $max))
    (i32.store offset=16 (local.get $out) (i32.shr_u (local.get $at) (i32.const 3))))

  ;; A·conj(P) + i·A·conj(Q) in place of A = re + i·im (circularCorrelationTwo in fft.ts)
  (func (export "productTwo")
    (param $re i32) (param $im i32) (param $pr i32) (param $pi i32) (param $qr i32) (param $qi i32) (param $n i32)
    (local $i i32) (local $ar f64) (local $ai f64) (local $xr f64) (local $xi f64) (local $yr f64) (local $yi f64) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (block $d
      (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $ar (f64.load (i32.add (local.get $re) (local.get $i))))
        (local.set $ai (f64.load (i32.add (local.get $im) (local.get $i))))
        (local.set $xr (f64.add (f64.mul (local.get $ar) (f64.load (i32.add (local.get $pr) (local.get $i)))) (f64.mul (local.get $ai) (f64.load (i32.add (local.get $pi) (local.get $i))))))
        (local.set $xi (f64.sub (f64.mul (local.get $ai) (f64.load (i32.add (local.get $pr) (local.get $i)))) (f64.mul (local.get $ar) (f64.load (i32.add (local.get $pi) (local.get $i))))))
        (local.set $yr (f64.add (f64.mul (local.get $ar) (f64.load (i32.add (local.get $qr) (local.get $i)))) (f64.mul (local.get $ai) (f64.load (i32.add (local.get $qi) (local.get $i))))))
        (local.set $yi (f64.sub (f64.mul (local.get $ai) (f64.load (i32.add (local.get $qr) (local.get $i)))) (f64.mul (local.get $ar) (f64.load (i32.add (local.get $qi) (local.get $i))))))
        (f64.store (i32.add (local.get $re) (local.get $i)) (f64.sub (local.get $xr) (local.get $yi)))
        (f64.store (i32.add (local.get $im) (local.get $i)) (f64.add (local.get $xi) (local.get $yr)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $l))))

  ;; The column transforms of an n×n array in place, every column at once: the same butterflies as rows() on each column
  ;; (so the same values as transposing, transforming the rows and transposing back), two columns a step with SIMD
  ;; along the rows, then every value times s.
  (func $cols
    (param $re i32) (param $im i32) (param $n i32) (param $inverse i32) (param $rev i32) (param $twc i32) (param $tws i32) (param $s f64)
    (local $i i32) (local $j i32) (local $rb i32) (local $x i32) (local $a i32) (local $b i32) (local $t v128)
    (local $len i32) (local $half i32) (local $k i32) (local $cr v128) (local $ci v128) (local $ci0 f64)
    (local $vrb v128) (local $vib v128) (local $vra v128) (local $via v128) (local $vxr v128) (local $vxi v128) (local $end i32)
    (local.set $rb (i32.shl (local.get $n) (i32.const 3)))
    ;; bit reversal of the rows
    (local.set $i (i32.const 1))
    (block $rd
      (loop $rl
        (br_if $rd (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.load (i32.add (local.get $rev) (i32.shl (local.get $i) (i32.const 2)))))
        (if (i32.lt_u (local.get $i) (local.get $j))
          (then
            (local.set $x (i32.const 0))
            (block $xd
              (loop $xl
                (br_if $xd (i32.ge_u (local.get $x) (local.get $rb)))
                (local.set $a (i32.add (i32.mul (local.get $i) (local.get $rb)) (local.get $x)))
                (local.set $b (i32.add (i32.mul (local.get $j) (local.get $rb)) (local.get $x)))
                (local.set $t (v128.load (i32.add (local.get $re) (local.get $a))))
                (v128.store (i32.add (local.get $re) (local.get $a)) (v128.load (i32.add (local.get $re) (local.get $b))))
                (v128.store (i32.add (local.get $re) (local.get $b)) (local.get $t))
                (local.set $t (v128.load (i32.add (local.get $im) (local.get $a))))
                (v128.store (i32.add (local.get $im) (local.get $a)) (v128.load (i32.add (local.get $im) (local.get $b))))
                (v128.store (i32.add (local.get $im) (local.get $b)) (local.get $t))
                (local.set $x (i32.add (local.get $x) (i32.const 16)))
                (br $xl)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rl)))
    (local.set $len (i32.const 2))
    (block $sd
      (loop $sl
        (br_if $sd (i32.gt_u (local.get $len) (local.get $n)))
        (local.set $half (i32.shr_u (local.get $len) (i32.const 1)))
        (local.set $k (i32.const 0))
        (block $kd
          (loop $kl
            (br_if $kd (i32.ge_u (local.get $k) (local.get $half)))
            (local.set $cr (f64x2.splat (f64.load (i32.add (local.get $twc) (i32.shl (i32.add (i32.sub (local.get $half) (i32.const 1)) (local.get $k)) (i32.const 3))))))
            (local.set $ci0 (f64.load (i32.add (local.get $tws) (i32.shl (i32.add (i32.sub (local.get $half) (i32.const 1)) (local.get $k)) (i32.const 3)))))
            (if (local.get $inverse) (then (local.set $ci0 (f64.neg (local.get $ci0)))))
            (local.set $ci (f64x2.splat (local.get $ci0)))
            (local.set $i (i32.const 0))
            (block $id
              (loop $il
                (br_if $id (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $a (i32.mul (i32.add (local.get $i) (local.get $k)) (local.get $rb)))
                (local.set $b (i32.add (local.get $a) (i32.mul (local.get $half) (local.get $rb))))
                (local.set $end (i32.add (local.get $a) (local.get $rb)))
                (block $xd2
                  (loop $xl2
                    (br_if $xd2 (i32.ge_u (local.get $a) (local.get $end)))
                    (local.set $vrb (v128.load (i32.add (local.get $re) (local.get $b))))
                    (local.set $vib (v128.load (i32.add (local.get $im) (local.get $b))))
                    (local.set $vra (v128.load (i32.add (local.get $re) (local.get $a))))
                    (local.set $via (v128.load (i32.add (local.get $im) (local.get $a))))
                    (local.set $vxr (f64x2.sub (f64x2.mul (local.get $vrb) (local.get $cr)) (f64x2.mul (local.get $vib) (local.get $ci))))
                    (local.set $vxi (f64x2.add (f64x2.mul (local.get $vrb) (local.get $ci)) (f64x2.mul (local.get $vib) (local.get $cr))))
                    (v128.store (i32.add (local.get $re) (local.get $b)) (f64x2.sub (local.get $vra) (local.get $vxr)))
                    (v128.store (i32.add (local.get $im) (local.get $b)) (f64x2.sub (local.get $via) (local.get $vxi)))
                    (v128.store (i32.add (local.get $re) (local.get $a)) (f64x2.add (local.get $vra) (local.get $vxr)))
                    (v128.store (i32.add (local.get $im) (local.get $a)) (f64x2.add (local.get $via) (local.get $vxi)))
                    (local.set $a (i32.add (local.get $a) (i32.const 16)))
                    (local.set $b (i32.add (local.get $b) (i32.const 16)))
                    (br $xl2)))
                (local.set $i (i32.add (local.get $i) (local.get $len)))
                (br $il)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
        (local.set $len (i32.shl (local.get $len) (i32.const 1)))
        (br $sl)))
    (if (f64.ne (local.get $s) (f64.const 1))
      (then
        (local.set $cr (f64x2.splat (local.get $s)))
        (local.set $end (i32.mul (local.get $n) (local.get $rb)))
        (local.set $x (i32.const 0))
        (block $md
          (loop $ml
            (br_if $md (i32.ge_u (local.get $x) (local.get $end)))
            (v128.store (i32.add (local.get $re) (local.get $x)) (f64x2.mul (v128.load (i32.add (local.get $re) (local.get $x))) (local.get $cr)))
            (v128.store (i32.add (local.get $im) (local.get $x)) (f64x2.mul (v128.load (i32.add (local.get $im) (local.get $x))) (local.get $cr)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $ml))))))

  ;; fft2 of fft.ts: rows, then columns, in place (tr and ti are not used)
  (func $fft2 (export "fft2")
    (param $re i32) (param $im i32) (param $tr i32) (param $ti i32) (param $n i32) (param $inverse i32)
    (param $rev i32) (param $twc i32) (param $tws i32) (param $s f64)
    (call $rows (local.get $re) (local.get $im) (local.get $n) (local.get $n) (local.get $inverse) (local.get $rev) (local.get $twc) (local.get $tws))
    (call $cols (local.get $re) (local.get $im) (local.get $n) (local.get $inverse) (local.get $rev) (local.get $twc) (local.get $tws) (local.get $s)))
)
