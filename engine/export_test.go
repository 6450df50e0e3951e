package engine

// SplitSmallLayers makes e split every layer it can across its threads,
// however little work the layer holds, so that tests on small models
// exercise the split paths.
func SplitSmallLayers(e *Engine) { e.pool.minMACs = 1 }

// UseHWC sets whether engines built afterwards store int8 feature maps
// HWC (the default) or run every layer on CHW, the reference for HWC.
func UseHWC(on bool) { hwcLayouts = on }

// FuseActivations sets whether engines built afterwards fold ReLU and
// ReLU6 into the layer before them (the default) or run them as layers.
func FuseActivations(on bool) { fuseActivations = on }
