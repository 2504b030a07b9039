//! Residual skill adapters: `h ← h + W_up · relu(W_down · LN(h) + b_down) + b_up` after every
//! transformer block, and the bank that keeps every skill's adapter resident.

mod bank;
mod files;
mod fused;

use std::collections::HashMap;
use std::sync::OnceLock;

use candle_core::{DType, Device, Tensor, Var};

pub use bank::AdapterBank;
pub use files::{AdapterManifest, ADAPTER_FILE, MANIFEST_FILE};

use crate::backbone::BlockHook;
use crate::config::LlamaConfig;
use crate::error::Result;

pub const DEFAULT_BOTTLENECK: usize = 64;
const LN_EPS: f32 = 1e-5;

/// One block's adapter. Weights in `[out, in]` layout.
#[derive(Debug, Clone)]
pub struct AdapterLayer {
    pub norm_weight: Tensor,
    pub norm_bias: Tensor,
    pub down_weight: Tensor,
    pub down_bias: Tensor,
    pub up_weight: Tensor,
    pub up_bias: Tensor,
}

/// How a new adapter's weights start.
#[derive(Debug, Clone, Copy)]
pub enum AdapterInit {
    /// `W_up = 0`: exactly the identity until trained.
    Identity { seed: u64 },
    /// Every weight random (tests use it to show that an adapter changes the output).
    Random { seed: u64, std: f32 },
}

#[derive(Debug, Clone)]
pub struct Adapter {
    id: String,
    hidden: usize,
    bottleneck: usize,
    layers: Vec<AdapterLayer>,
    /// Host copies for the fused CPU serving path, made on first use. Never made for an
    /// adapter whose tensors are trainable variables: they would go stale as training moves them.
    host: OnceLock<Vec<fused::HostLayer>>,
}

impl Adapter {
    pub fn new(
        id: &str,
        cfg: &LlamaConfig,
        bottleneck: usize,
        init: AdapterInit,
        device: &Device,
    ) -> Result<Self> {
        let h = cfg.hidden_size;
        let (seed, up_std) = match init {
            AdapterInit::Identity { seed } => (seed, 0.0),
            AdapterInit::Random { seed, std } => (seed, std),
        };
        // A seeded host RNG, not the device's: the same seed gives the same adapter anywhere.
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let down_std = (2.0 / h as f64).sqrt() as f32; // He init: the ReLU halves the variance.
        let mut layers = Vec::with_capacity(cfg.num_layers);
        for _ in 0..cfg.num_layers {
            let mut randn =
                |std: f32, shape: &[usize]| normal_tensor(&mut rng, 0.0, std, shape, device);
            layers.push(AdapterLayer {
                norm_weight: (randn(up_std, &[h])? + 1.0)?,
                norm_bias: randn(up_std, &[h])?,
                down_weight: randn(down_std, &[bottleneck, h])?,
                down_bias: randn(up_std, &[bottleneck])?,
                up_weight: randn(up_std, &[h, bottleneck])?,
                up_bias: randn(up_std, &[h])?,
            });
        }
        Ok(Self {
            id: id.to_string(),
            hidden: h,
            bottleneck,
            layers,
            host: OnceLock::new(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn bottleneck(&self) -> usize {
        self.bottleneck
    }

    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    pub fn layers(&self) -> &[AdapterLayer] {
        &self.layers
    }

    pub fn num_parameters(&self) -> usize {
        self.layers.len()
            * (2 * self.hidden + 2 * self.hidden * self.bottleneck + self.bottleneck + self.hidden)
    }

    /// A copy whose tensors are trainable variables (the training path).
    pub fn to_trainable(&self) -> Result<(Adapter, Vec<Var>)> {
        let mut vars = Vec::new();
        let adapter = self.map_tensors(|t| {
            let v = Var::from_tensor(t)?;
            let t = v.as_tensor().clone();
            vars.push(v);
            Ok(t)
        })?;
        Ok((adapter, vars))
    }

    /// Detached copy of the current values (e.g. of a trained adapter) for serving.
    pub fn frozen_copy(&self) -> Result<Adapter> {
        self.map_tensors(|t| Ok(t.detach().copy()?))
    }

    /// The same adapter with every tensor replaced by `f(tensor)`, in file order.
    fn map_tensors(&self, mut f: impl FnMut(&Tensor) -> Result<Tensor>) -> Result<Adapter> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                Ok(AdapterLayer {
                    norm_weight: f(&l.norm_weight)?,
                    norm_bias: f(&l.norm_bias)?,
                    down_weight: f(&l.down_weight)?,
                    down_bias: f(&l.down_bias)?,
                    up_weight: f(&l.up_weight)?,
                    up_bias: f(&l.up_bias)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Adapter {
            id: self.id.clone(),
            hidden: self.hidden,
            bottleneck: self.bottleneck,
            layers,
            host: OnceLock::new(),
        })
    }

    /// Tensors by their file names (`layers.{i}.{norm,down,up}.{weight,bias}`).
    pub fn named_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, l) in self.layers.iter().enumerate() {
            for (name, t) in [
                ("norm.weight", &l.norm_weight),
                ("norm.bias", &l.norm_bias),
                ("down.weight", &l.down_weight),
                ("down.bias", &l.down_bias),
                ("up.weight", &l.up_weight),
                ("up.bias", &l.up_bias),
            ] {
                out.insert(format!("layers.{i}.{name}"), t.clone());
            }
        }
        out
    }

    /// Builds an adapter from named tensors, checking every shape against the backbone.
    pub fn from_named_tensors(
        id: &str,
        cfg: &LlamaConfig,
        bottleneck: usize,
        mut tensors: HashMap<String, Tensor>,
    ) -> std::result::Result<Self, String> {
        let h = cfg.hidden_size;
        let mut take = |i: usize,
                        name: &str,
                        shape: &[usize]|
         -> std::result::Result<Tensor, String> {
            let key = format!("layers.{i}.{name}");
            let t = tensors
                .remove(&key)
                .ok_or_else(|| format!("tensor `{key}` is missing"))?;
            if t.dims() != shape {
                return Err(format!(
                    "tensor `{key}` has shape {:?}, this backbone needs {shape:?} (hidden {h}, bottleneck {bottleneck})",
                    t.dims()
                ));
            }
            let t = t.to_dtype(DType::F32).map_err(|e| e.to_string())?;
            let finite = t
                .flatten_all()
                .and_then(|f| f.to_vec1::<f32>())
                .map_err(|e| e.to_string())?
                .iter()
                .all(|x| x.is_finite());
            if !finite {
                return Err(format!("tensor `{key}` holds NaN or infinite values"));
            }
            Ok(t)
        };
        let layers = (0..cfg.num_layers)
            .map(|i| {
                Ok(AdapterLayer {
                    norm_weight: take(i, "norm.weight", &[h])?,
                    norm_bias: take(i, "norm.bias", &[h])?,
                    down_weight: take(i, "down.weight", &[bottleneck, h])?,
                    down_bias: take(i, "down.bias", &[bottleneck])?,
                    up_weight: take(i, "up.weight", &[h, bottleneck])?,
                    up_bias: take(i, "up.bias", &[h])?,
                })
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        if let Some(extra) = tensors.keys().next() {
            return Err(format!(
                "unexpected tensor `{extra}` (the adapter has more layers than the backbone's {})",
                cfg.num_layers
            ));
        }
        Ok(Self {
            id: id.to_string(),
            hidden: h,
            bottleneck,
            layers,
            host: OnceLock::new(),
        })
    }
}

/// Normal(mean, std) values from a seeded host RNG; all `mean` when `std` is 0.
pub(crate) fn normal_tensor(
    rng: &mut rand::rngs::StdRng,
    mean: f32,
    std: f32,
    shape: &[usize],
    device: &Device,
) -> Result<Tensor> {
    let n = shape.iter().product();
    let values: Vec<f32> = if std == 0.0 {
        vec![mean; n]
    } else {
        let normal = rand_distr::Normal::new(mean, std).expect("a positive, finite std");
        (0..n)
            .map(|_| rand_distr::Distribution::sample(&normal, rng))
            .collect()
    };
    Ok(Tensor::from_vec(values, shape, device)?)
}

impl Adapter {
    fn is_trainable(&self) -> bool {
        self.layers
            .first()
            .is_some_and(|l| l.down_weight.is_variable())
    }

    fn host_layers(&self) -> Result<&[fused::HostLayer]> {
        if let Some(h) = self.host.get() {
            return Ok(h);
        }
        let built = self
            .layers
            .iter()
            .map(|l| fused::HostLayer::new(l, LN_EPS))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.host.get_or_init(|| built))
    }
}

/// Applies each row's adapter (or none) after block `layer` to `h` (`[.., rows, hidden]`, one
/// row per entry of `adapters`) in one pass: the serving path of a batch of decoding rows. The
/// per-row arithmetic is that of [`BlockHook::after_block`] on a single row, so a row gets the
/// same values batched as alone. `None` when that fused path is not available (not the CPU,
/// not f32, or a trainable adapter): the caller then applies the adapters row by row.
pub(crate) fn apply_mixed(
    layer: usize,
    h: &Tensor,
    adapters: &[Option<&Adapter>],
) -> Result<Option<Tensor>> {
    if !h.device().is_cpu()
        || h.dtype() != DType::F32
        || adapters.iter().flatten().any(|a| a.is_trainable())
    {
        return Ok(None);
    }
    let hidden = h.dim(candle_core::D::Minus1)?;
    let rows = adapters
        .iter()
        .map(|a| a.map(|a| a.host_layers().map(|l| &l[layer])).transpose())
        .collect::<Result<Vec<_>>>()?;
    let op = fused::MixedAdapterOp { hidden, rows };
    Ok(Some(h.contiguous()?.apply_op1_no_bwd(&op)?))
}

impl BlockHook for Adapter {
    fn after_block(&self, layer: usize, h: &Tensor, differentiable: bool) -> Result<Tensor> {
        // One fused pass per row wins for decoding (one row: per-op overhead dominates); for a
        // prompt's many rows, candle's matmuls (multi-row SIMD kernels) are faster.
        let rows = h.elem_count() / self.hidden;
        if !differentiable
            && rows == 1
            && h.device().is_cpu()
            && h.dtype() == DType::F32
            && !self.is_trainable()
        {
            let op = fused::MixedAdapterOp {
                hidden: self.hidden,
                rows: vec![Some(&self.host_layers()?[layer])],
            };
            return Ok(h.contiguous()?.apply_op1_no_bwd(&op)?);
        }
        let l = &self.layers[layer];
        let normed = if differentiable {
            crate::train_ops::layer_norm(h, &l.norm_weight, &l.norm_bias, LN_EPS)?
        } else {
            candle_nn::ops::layer_norm(&h.contiguous()?, &l.norm_weight, &l.norm_bias, LN_EPS)?
        };
        let down = normed
            .broadcast_matmul(&l.down_weight.t()?)?
            .broadcast_add(&l.down_bias)?
            .relu()?;
        let up = down
            .broadcast_matmul(&l.up_weight.t()?)?
            .broadcast_add(&l.up_bias)?;
        Ok((h + up)?)
    }
}
