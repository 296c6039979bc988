// The model's shapes (its configuration, parameter layout and buffer sizes) are part of its
// API, but live in modules without BLAS so that the planner and `meshtop` can use them alone.
@_exported import ModelShape
@_exported import struct RunSpec.ModelConfig
