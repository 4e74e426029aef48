module github.com/portsim/portsim

go 1.26.8

require (
	github.com/dchest/siphash v1.2.3
	github.com/goccy/go-yaml v1.19.2
	github.com/spf13/pflag v1.1.0
	gonum.org/v1/gonum v0.17.0
)
