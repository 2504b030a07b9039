//! Per-sequence key/value cache. Grows in chunks instead of reserving the whole context up front:
//! 30 layers × 8 192 positions would pin ~380 MB for a single conversation.

use candle_core::Tensor;

use crate::error::Result;
use crate::host_attention::HostLayerKv;

/// Positions a cache grows by at a time (tensor and host caches alike).
pub(crate) const GROW_BY: usize = 256;

#[derive(Debug, Clone, Default)]
struct LayerCache {
    /// `[batch, kv_heads, capacity, head_dim]`; the first `len` positions are valid.
    k: Option<Tensor>,
    v: Option<Tensor>,
}

/// A sequence's keys and values: candle tensors on a GPU, plain host memory on the CPU's
/// serving path (see [`crate::host_attention`]). One sequence uses one or the other.
#[derive(Debug, Clone)]
pub struct KvCache {
    layers: Vec<LayerCache>,
    host: Vec<HostLayerKv>,
    len: usize,
}

impl KvCache {
    pub fn new(num_layers: usize) -> Self {
        Self {
            layers: vec![LayerCache::default(); num_layers],
            host: vec![HostLayerKv::default(); num_layers],
            len: 0,
        }
    }

    /// Number of positions already cached (the offset of the next token).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.layers
            .iter_mut()
            .for_each(|l| *l = LayerCache::default());
        self.host
            .iter_mut()
            .for_each(|l| *l = HostLayerKv::default());
        self.len = 0;
    }

    /// Appends `k`/`v` (`[batch, kv_heads, seq, head_dim]`) for `layer` and returns the valid
    /// prefix including them. Call [`KvCache::advance`] once all layers appended.
    pub fn append(&mut self, layer: usize, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
        let start = self.len;
        let entry = &mut self.layers[layer];
        let k = append_one(&mut entry.k, k, start)?;
        let v = append_one(&mut entry.v, v, start)?;
        Ok((k, v))
    }

    /// Layer `layer`'s host cache (the CPU serving path appends to it directly).
    pub(crate) fn host_layer_mut(&mut self, layer: usize) -> &mut HostLayerKv {
        &mut self.host[layer]
    }

    pub(crate) fn host_layer(&self, layer: usize) -> &HostLayerKv {
        &self.host[layer]
    }

    pub fn advance(&mut self, seq: usize) {
        self.len += seq;
    }
}

fn append_one(slot: &mut Option<Tensor>, new: &Tensor, start: usize) -> Result<Tensor> {
    let seq = new.dim(2)?;
    let needed = start + seq;
    let capacity = slot.as_ref().map(|t| t.dim(2)).transpose()?.unwrap_or(0);
    if needed > capacity {
        let (b, h, _, d) = new.dims4()?;
        let new_cap = needed.div_ceil(GROW_BY) * GROW_BY;
        let grown = Tensor::zeros((b, h, new_cap, d), new.dtype(), new.device())?;
        if let Some(old) = slot.as_ref() {
            grown.slice_set(&old.narrow(2, 0, start)?.contiguous()?, 2, 0)?;
        }
        *slot = Some(grown);
    }
    let buf = slot.as_ref().expect("cache buffer was just allocated");
    buf.slice_set(&new.contiguous()?, 2, start)?;
    Ok(buf.narrow(2, 0, needed)?)
}
