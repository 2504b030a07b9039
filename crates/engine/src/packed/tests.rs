use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use super::*;

fn random_weights(rows: usize, cols: usize, dtype: GgmlDType, seed: u64) -> QTensor {
    // A deterministic spread of magnitudes, with some rows much larger than others.
    let values: Vec<f32> = (0..rows * cols)
        .map(|i| {
            let h = (i as u64 + seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            let unit = h as f32 / (1u64 << 24) as f32 - 0.5;
            unit * (1.0 + (i / cols % 7) as f32)
        })
        .collect();
    let t = Tensor::from_vec(values, (rows, cols), &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

fn random_input(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    (0..rows * cols)
        .map(|i| {
            let h = (i as u64 * 31 + seed).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 40;
            (h as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
        })
        .collect()
}

#[test]
fn packed_rows_dequantize_exactly_as_the_source_type() {
    for dtype in [GgmlDType::Q4_1, GgmlDType::Q4_0, GgmlDType::Q8_0] {
        let q = random_weights(40, 96, dtype, 1);
        let reference = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let p = PackedMatrix::pack(&q).unwrap();
        let mut row = vec![0f32; 96];
        for (r, want) in reference.iter().enumerate() {
            p.dequantize_row(r, &mut row);
            assert_eq!(&row, want, "{dtype:?} row {r}");
        }
    }
}

#[test]
fn every_kernel_gives_the_portable_kernels_bits() {
    for dtype in [GgmlDType::Q4_1, GgmlDType::Q4_0, GgmlDType::Q8_0] {
        // 40 rows: two full groups and a partial one.
        let p = PackedMatrix::pack(&random_weights(40, 96, dtype, 2)).unwrap();
        for input_rows in [1, 2, 3, 4, 5, 9] {
            let x = random_input(input_rows, 96, input_rows as u64);
            let mut want = vec![f32::NAN; input_rows * 40];
            p.matmul_with(Kernel::Portable, &x, &mut want);
            for kernel in Kernel::available() {
                let mut got = vec![f32::NAN; input_rows * 40];
                p.matmul_with(kernel, &x, &mut got);
                assert_eq!(got, want, "{kernel:?} {dtype:?} {input_rows} rows");
            }
        }
    }
}

#[test]
fn the_product_matches_f32_within_the_input_quantization() {
    for dtype in [GgmlDType::Q4_1, GgmlDType::Q8_0] {
        let q = random_weights(48, 576, dtype, 3);
        let w = q.dequantize(&Device::Cpu).unwrap();
        let x = random_input(3, 576, 4);
        let xt = Tensor::from_slice(&x, (3, 576), &Device::Cpu).unwrap();
        let reference = xt.matmul(&w.t().unwrap()).unwrap().flatten_all().unwrap();
        let reference = reference.to_vec1::<f32>().unwrap();
        let p = PackedMatrix::pack(&q).unwrap();
        let mut got = vec![0f32; 3 * 48];
        p.matmul(&x, &mut got);
        let scale = reference.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (g, r) in got.iter().zip(&reference) {
            // 8-bit inputs: each block's rounding error is at most half a step of 1/127 of its
            // largest value; summed over 576 products it stays well under 1 % of the largest.
            assert!(
                (g - r).abs() < 0.01 * scale,
                "{dtype:?}: {g} vs {r} (scale {scale})"
            );
        }
    }
}

#[test]
fn threads_split_the_columns_without_changing_them() {
    // Big enough to be split into parts.
    let p = PackedMatrix::pack(&random_weights(1024, 576, GgmlDType::Q4_1, 5)).unwrap();
    let x = random_input(8, 576, 6);
    let mut whole = vec![0f32; 8 * 1024];
    let input = QuantizedInput::new(&x, 576);
    let out = OutPtr(whole.as_mut_ptr());
    // SAFETY: one thread, every column, the portable kernel.
    unsafe { Kernel::Portable.run(&p, &input, 0..p.groups(), &out) };
    let mut split = vec![0f32; 8 * 1024];
    p.matmul_with(Kernel::Portable, &x, &mut split);
    assert_eq!(whole, split);
}

#[test]
fn packing_refuses_what_it_cannot_hold_exactly() {
    let q = random_weights(16, 64, GgmlDType::F32, 7);
    assert!(PackedMatrix::pack(&q).is_err());
    assert!(!PackedMatrix::packs_exactly(GgmlDType::Q6K));
}
