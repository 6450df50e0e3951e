package dataset_test

import (
	"fmt"
	"log"

	"github.com/edgecnn/edgecnn/dataset"
)

func ExampleShuffle() {
	rng := dataset.NewRand(1)
	fmt.Println(dataset.Shuffle(10, rng))
	// Output: [0 5 2 3 1 4 8 7 6 9]
}

// A trainer loads MNIST, then walks it in a new seeded order each epoch,
// augmenting every image.
func ExampleLoad() {
	train, err := dataset.Load("mnist", true, dataset.Options{})
	if err != nil {
		log.Fatal(err)
	}
	rng := dataset.NewRand(42)
	img := make([]uint8, train.ImageSize())
	for epoch := range 2 {
		order := dataset.Shuffle(train.Len(), rng)
		for _, i := range order {
			dataset.Augment(img, train.Image(i), train.Channels, train.Height, train.Width,
				dataset.Augmentation{Shift: 2}, rng)
			_ = train.Labels[i] // ... forward, backward
		}
		_ = epoch
	}
	calib := train.Sample(500, 1) // the converter's calibration images
	fmt.Println(calib.Len())
}
