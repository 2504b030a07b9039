//! Micro-benchmark: the packed matmul (every SIMD kernel this CPU runs) against candle's Q8_0
//! matmul (weights padded to 768 columns, as the engine held them before), on SmolLM2's
//! projection shapes, for 1, 8 and 64 input rows. `CANDLE_NUM_THREADS=2 cargo run --release --example
//! packed_cost -p adapterbot-engine` (median of 50 per case).
use std::time::Instant;

use adapterbot_engine::packed::{Kernel, PackedMatrix};
use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

fn median_us(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..50)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() -> candle_core::Result<()> {
    let dev = Device::Cpu;
    let shapes = [
        ("qkv", 960, 576, GgmlDType::Q4_1),
        ("attn_out", 576, 576, GgmlDType::Q4_1),
        ("gate_up", 3072, 576, GgmlDType::Q4_1),
        ("down", 576, 1536, GgmlDType::Q4_1),
        ("head", 49152, 576, GgmlDType::Q8_0),
    ];
    let kernels: Vec<Kernel> = Kernel::available()
        .into_iter()
        .filter(|k| k.is_fast())
        .collect();
    print!("{:<9} {:>5} {:>10}", "matrix", "rows", "candle µs");
    for k in &kernels {
        print!(" {:>18}", format!("{k:?} µs (×)"));
    }
    println!();
    for (name, rows, cols, dtype) in shapes {
        let w = Tensor::randn(0f32, 0.05, (rows, cols), &dev)?;
        let stored = QTensor::quantize(&w, dtype)?;
        let pad = cols.next_multiple_of(256) - cols;
        let padded = QTensor::quantize(&w.pad_with_zeros(1, 0, pad)?, GgmlDType::Q8_0)?;
        let candle = QMatMul::from_qtensor(padded)?;
        let packed = PackedMatrix::pack(&stored)?;
        for m in [1usize, 8, 64] {
            let x = Tensor::randn(0f32, 1.0, (m, cols), &dev)?;
            let xp = x.pad_with_zeros(1, 0, pad)?;
            let xv = x.flatten_all()?.to_vec1::<f32>()?;
            let mut out = vec![0f32; m * rows];
            let a = median_us(|| {
                candle.forward(&xp).unwrap();
            });
            print!("{name:<9} {m:>5} {a:>10.1}");
            for &k in &kernels {
                let b = median_us(|| packed.matmul_with(k, &xv, &mut out));
                print!(" {:>18}", format!("{b:.1} ({:.2})", a / b));
            }
            println!();
        }
    }
    Ok(())
}
