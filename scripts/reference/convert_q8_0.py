"""Converts a GGUF file to Q8_0 with llama.cpp's own quantizer (for the equal-bits comparison in
scripts/bench.sh). Usage: convert_q8_0.py IN.gguf OUT.gguf"""
import ctypes
import sys

import llama_cpp

params = llama_cpp.llama_model_quantize_default_params()
params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
params.allow_requantize = True  # the source is already quantized (Q4_1)
rc = llama_cpp.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params))
sys.exit(rc)
