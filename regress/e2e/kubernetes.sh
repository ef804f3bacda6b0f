#!/bin/sh
# The Kubernetes manifests in etc/kubernetes, offline: every document
# validated against the Kubernetes object schemas (the kubernetes-models
# npm package, installed once into build/k8s-validate), the properties the
# manifests promise asserted one by one (regress/k8s/validate.mjs), the
# ConfigMap's dotproxy.conf checked by dotproxy -n and run (the cluster
# domain and the pod reverse zones to a stand-in for the cluster DNS, the
# rest over TLS), and the probes' exact commands run against it.  Then broken copies of the manifests must
# fail, so that the checks cannot rot into always passing.
. "$(dirname "$0")/../lib.sh"
BASE=$((26650 + ${E2E_PORT_SHIFT:-0}))
P=$BASE UP=$((BASE + 1)) UPC=$((BASE + 2))
K=$TOP/etc/kubernetes
V=$TOP/build/k8s-validate

for c in node npm; do
	command -v $c >/dev/null || {
		notok "$c is installed (regress/deps.sh test): manifests not validated"
		exit 0
	}
done

# npm ci only when the lock file changed: later runs need no network.
mkdir -p "$V"
if ! cmp -s "$TOP/regress/k8s/package-lock.json" "$V/package-lock.json" ||
    [ ! -d "$V/node_modules/kubernetes-models" ]; then
	cp "$TOP/regress/k8s/package.json" "$TOP/regress/k8s/package-lock.json" \
	    "$V/"
	(cd "$V" && npm ci --no-audit --no-fund --loglevel=error) \
	    >"$W/npm.out" 2>&1 || {
		notok "npm ci of kubernetes-models and yaml into build/k8s-validate (needs the npm registry once): $(tail -3 "$W/npm.out" | tr '\n' ' ')"
		exit 0
	}
fi
cp "$TOP/regress/k8s/validate.mjs" "$V/"

node "$V/validate.mjs" "$K" "$W" 2>&1
check "the validator ran to its end" test -s "$W/probes.cmd"

users=$(grep -h 'runAsUser:' "$K"/*.yaml | awk '{ print $2 }' | sort -u)
check "the manifests run as the image's user ($users)" \
    sh -c '[ -n "$1" ] && grep -q "^USER $1:" "$2"' - "$users" \
    "$TOP/Dockerfile.distroless"
check "the ConfigMap's dotproxy.conf passes dotproxy -n" \
    sh -c '"$1" -n -f "$2" | grep -q "configuration OK"' - "$DOTPROXY" \
    "$W/dotproxy.conf"

# The ConfigMap's configuration, moved to loopback test ports and the
# test upstream by the environment, its cluster DNS to a plain DNS test
# server on loopback, and the probes' commands against it.
dotserver up $UP || notok "dotserver starts"
dotserver cluster $UPC -u || notok "the cluster DNS stand-in starts"
sed "s/10\.96\.0\.10 port 53 cleartext/127.0.0.1 port $UPC cleartext/" \
    "$W/dotproxy.conf" >"$W/local.conf"
check "dotproxy runs the ConfigMap's configuration" \
    proxy dp "$W/local.conf" LISTENING_SOCKET_IP=127.0.0.1 \
    LISTENING_SOCKET_PORT=$P DNS_SERVER_IP=127.0.0.1 DNS_SERVER_PORT=$UP \
    DNS_SERVER_NAME=dns.test CA_PATH="$CERTS/ca.pem"
runprobes()
{
	while read -r kind cmd args; do
		if [ "$cmd" = /usr/local/sbin/dotproxy-probe ] &&
		    "$TOP/dotproxy-probe" $args -p $P 2>>"$W/probe.err"; then
			echo "$kind:0"
		else
			echo "$kind:1"
		fi
	done <"$W/probes.cmd" | sort -u | tr '\n' ' '
}
r=$(runprobes)
check "the manifests' probes pass ($r)" [ "$r" = "liveness:0 readiness:0 " ]

# routed NAME TO OTHER: the test server TO got a query for NAME, OTHER
# none.
routed()
{
	grep -q "^query .* name=$1\.\{0,1\} " "$W/$2.log" 2>/dev/null &&
	    ! grep -q "^query .* name=$1\.\{0,1\} " "$W/$3.log" 2>/dev/null
}
q $P kubernetes.default.svc.cluster.local A >/dev/null
check "the cluster domain goes to the cluster DNS, not over TLS" \
    routed kubernetes.default.svc.cluster.local cluster up
q $P -x 10.1.2.3 >/dev/null
check "a pod address's reverse name goes to the cluster DNS" \
    routed 3.2.1.10.in-addr.arpa cluster up
q $P public.example.test A >/dev/null
check "a public name goes over TLS, never to the cluster DNS" \
    routed public.example.test up cluster
check "another private reverse name stays on the node: NXDOMAIN" \
    sh -c '[ "$1" = NXDOMAIN ] && ! grep -qs 7.7.168.192 "$2" "$3"' - \
    "$(rcode $P -x 192.168.7.7)" "$W/cluster.log" "$W/up.log"
stopserver up
r=$(runprobes)
check "without an upstream, not ready but alive ($r)" \
    [ "$r" = "liveness:0 readiness:1 " ]

# Each breakage must make the validator fail.
broken()
{
	rm -rf "$W/k"
	cp -r "$K" "$W/k"
	sed -i "$2" "$W/k/$1"
	! node "$V/validate.mjs" "$W/k" >"$W/broken.out" 2>&1
}
check "a misspelt readinessProbe fails validation" \
    broken deployment.yaml 's/readinessProbe:/readinesProbe:/'
check "a missing readOnlyRootFilesystem fails validation" \
    broken daemonset.yaml '/readOnlyRootFilesystem/d'
check "a liveness-style readiness probe (-a) fails validation" \
    broken deployment.yaml 's|\["/usr/local/sbin/dotproxy-probe", "-w"|["/usr/local/sbin/dotproxy-probe", "-a", "-w"|'
check "a ConfigMap without the cluster domain's zone fails validation" \
    broken configmap.yaml '/zone "cluster.local"/,/^    }/d'
check "a missing memory limit fails validation" \
    broken daemonset.yaml '/^              memory: 256Mi/d'
check "a missing PodDisruptionBudget fails validation" \
    broken deployment.yaml '/^# Voluntary disruptions/,$d'
check "a capability added back fails validation" \
    broken deployment.yaml 's/drop: \["ALL"\]/drop: ["ALL"]\n              add: ["NET_ADMIN"]/'
check "a string where the schema wants an integer fails validation" \
    broken deployment.yaml 's/replicas: 3/replicas: three/'
