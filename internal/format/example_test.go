package format_test

import (
	"fmt"
	"time"

	"github.com/portsim/portsim/internal/format"
)

func Example() {
	fmt.Println(format.Percent(0.0734, 1), format.PercentNumber(0.0734, 2))
	fmt.Println(format.Duration(90*time.Minute), format.Duration(time.Hour))
	fmt.Println(format.Plural(1, "probe"), format.Plural(3, "probe"))
	// Output:
	// 7.3% 7.34
	// 1h30m 1h
	// 1 probe 3 probes
}
