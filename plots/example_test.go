package plots_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/portsim/portsim/plots"
	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/vg"
)

// Run a short simulation, then save every chart of it as PNG, one file per
// chart named after it. The captions go next to the images in a report.
func ExampleAll() {
	sc := sim.DefaultScenario()
	for _, kv := range [][2]string{
		{"duration", "20s"}, {"rate", "200"}, {"destinations", "3"},
		{"time-wait", "5s"}, {"strategy", "sequential,random"},
	} {
		if err := sc.Set(kv[0], kv[1]); err != nil {
			log.Fatal(err)
		}
	}
	res, err := sim.Run(context.Background(), sc, sim.Options{KeepSamples: 10000})
	if err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "portsim-plots")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	for _, c := range plots.All(res) {
		if err := c.Save(filepath.Join(dir, c.Name+".png")); err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.Name + ".png")
	}
	// Output:
	// port-signature.png
	// collisions.png
	// probes.png
	// reuse.png
	// occupancy.png
	// port-usage.png
	// predictability.png
}

// Draw the capacity curve of a rate sweep as SVG, at a size of your
// choosing, to any io.Writer.
func ExampleCapacity() {
	sw := &sim.SweepResult{Param: "rate"}
	for _, x := range []float64{100, 200, 400, 800} {
		fr := max(0, (x-450)/x)
		sw.Rows = append(sw.Rows, sim.SweepRow{X: x, Strategy: "random", Kind: "connect", FailureRate: fr, LimitRate: 470})
	}
	c := plots.Capacity(sw)
	var svg bytes.Buffer
	if err := c.Render(&svg, "svg", 6*vg.Inch, 4*vg.Inch); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Title)
	fmt.Println(strings.HasPrefix(svg.String(), "<?xml"))
	// Output:
	// Capacity: failures against connection rate
	// true
}

// A chart with nothing to show still draws: a note says there is no data.
func ExampleChart_Save() {
	c := plots.Reuse(&sim.Result{})
	path := filepath.Join(os.TempDir(), "portsim-reuse-example.svg")
	defer os.Remove(path)
	if err := c.Save(path); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name, "saved")
	fmt.Println(plots.Probes(nil).Save("probes.gif"))
	// Output:
	// reuse saved
	// plots: probes.gif: extension .gif is not one of .png, .svg, .pdf
}
