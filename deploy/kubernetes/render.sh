#!/bin/sh
# render.sh prints a Kubernetes Indexed Job that runs a portsim sweep as N
# shards, one pod each, every pod writing its part into the shared volume
# (parts-pvc.yaml) at /parts/NAME; with --merge, the Job that joins them.
#
#   render.sh --shards N --image IMAGE [--name NAME] [--claim PVC] [--cpus C] -- SWEEP FLAGS...
#   render.sh --merge --image IMAGE [--name NAME] [--claim PVC]
#
# Each pod's index comes from JOB_COMPLETION_INDEX, which Kubernetes sets
# in an Indexed Job; --shards N tells portsim how many there are.
set -eu

name=portsim-sweep claim=portsim-parts cpus=2 shards= image= merge=
while [ $# -gt 0 ]; do
	case $1 in
	--shards) shards=$2; shift 2 ;;
	--image) image=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--claim) claim=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	--) shift; break ;;
	*) echo "render.sh: unknown flag $1; want --shards, --image, --name, --claim, --cpus, --merge, then -- and the sweep's flags" >&2; exit 2 ;;
	esac
done
[ -n "$image" ] || { echo "render.sh: --image: none given; want the image built from deploy/kubernetes/Dockerfile" >&2; exit 2; }

# quote prints one YAML list item: a double-quoted string.
quote() {
	printf '        - "%s"\n' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

if [ -n "$merge" ]; then
	cat <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: $name-merge
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, fsGroup: 65534} # the image's user may write the volume
      containers:
      - name: merge
        image: $image
        args:
YAML
	for a in merge "/parts/$name" --out "/parts/$name/sweep"; do quote "$a"; done
else
	case $shards in
	'' | *[!0-9]*) echo "render.sh: --shards: \"$shards\"; want the number of shards, a whole number ≥ 1" >&2; exit 2 ;;
	esac
	[ $# -gt 0 ] || { echo "render.sh: no sweep flags after --; want them as 'portsim sweep' takes them" >&2; exit 2; }
	cat <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
spec:
  completionMode: Indexed
  completions: $shards
  parallelism: $shards
  backoffLimitPerIndex: 2
  template:
    spec:
      restartPolicy: Never
      securityContext: {runAsNonRoot: true, fsGroup: 65534} # the image's user may write the volume
      containers:
      - name: sweep
        image: $image
        resources:
          requests: {cpu: "$cpus"}
          limits: {cpu: "$cpus"}
        args:
YAML
	quote sweep
	for a in "$@"; do quote "$a"; done
	for a in --shards "$shards" --out "/parts/$name"; do quote "$a"; done
fi
cat <<YAML
        volumeMounts:
        - name: parts
          mountPath: /parts
      volumes:
      - name: parts
        persistentVolumeClaim:
          claimName: $claim
YAML
