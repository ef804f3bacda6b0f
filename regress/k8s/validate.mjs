// Validates every YAML document under a directory (etc/kubernetes) against
// the Kubernetes object schemas of the kubernetes-models package, offline,
// then asserts what dotproxy's manifests promise: a DaemonSet and a
// Deployment with a Service, resources, probes that ask a real DNS
// question, the locked-down securityContext, the ConfigMap, a
// PodDisruptionBudget for the Deployment.  Prints "ok - " / "not ok - "
// lines.  usage: node validate.mjs DIR [OUTDIR]
// OUTDIR receives the ConfigMap's dotproxy.conf, for `dotproxy -n`, and
// the probes' commands, one a line (probes.cmd), to be run.

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { createRequire } from "node:module";
import { parseAllDocuments } from "yaml";

const [dir, outdir] = process.argv.slice(2);
const probes = [];
let failed = 0;
function check(name, cond) {
	console.log((cond ? "ok - " : "not ok - ") + name);
	if (!cond)
		failed++;
}

// Group and version to the module path of the model: "apps/v1" is
// kubernetes-models/apps/v1/KIND, the core "v1" is kubernetes-models/v1/KIND.
async function model(apiVersion, kind) {
	const m = await import(`kubernetes-models/${apiVersion}/${kind}`);
	return m[kind];
}

// Every field name the schemas know anywhere.  The schemas accept fields
// they do not know, as the API server does unless asked to be strict
// (kubectl's default since 1.27 is): a misspelt field would otherwise be
// dropped in silence.
// The object metadata and label selectors are apimachinery's.
const require = createRequire(import.meta.url);
const known = new Set();
for (const pkg of ["kubernetes-models", "@kubernetes-models/apimachinery"]) {
	const schemas = join(dirname(require.resolve(`${pkg}/package.json`)),
	    "_schemas");
	for (const f of readdirSync(schemas).filter((f) => f.endsWith(".mjs")))
		for (const m of readFileSync(join(schemas, f), "utf8").matchAll(
		    /instancePath\+"\/([A-Za-z0-9_$.-]+)"/g))
			known.add(m[1]);
}
// Maps whose keys are the user's: labels, data, quantities, selectors.
const freeform = new Set(["labels", "annotations", "data", "binaryData",
    "matchLabels", "nodeSelector", "requests", "limits"]);
function unknownFields(o, path, kind, out) {
	if (Array.isArray(o)) {
		o.forEach((v, i) => unknownFields(v, `${path}[${i}]`, kind, out));
		return out;
	}
	if (o === null || typeof o !== "object")
		return out;
	for (const [k, v] of Object.entries(o)) {
		if (!known.has(k))
			out.push(`${path}.${k}`);
		if (freeform.has(k) ||
		    (kind === "Service" && path === ".spec" && k === "selector"))
			continue;
		unknownFields(v, `${path}.${k}`, kind, out);
	}
	return out;
}

const objs = [];
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
check(`${dir} has manifests (${files.join(" ")})`, files.length > 0);
for (const f of files) {
	const docs = parseAllDocuments(readFileSync(join(dir, f), "utf8"));
	for (const d of docs) {
		if (d.errors.length > 0) {
			check(`${f}: YAML parses (${d.errors[0].message})`, false);
			continue;
		}
		const o = d.toJS();
		if (o === null)
			continue;
		const what = `${f}: ${o.kind} ${o.metadata?.name}`;
		let err = null;
		try {
			const M = await model(o.apiVersion, o.kind);
			new M(o).validate();
		} catch (e) {
			err = e.message.split("\n")[0];
		}
		check(`${what} is valid against the ${o.apiVersion} schema` +
		    (err ? ` (${err})` : ""), err === null);
		const unk = unknownFields(o, "", o.kind, []);
		check(`${what} has no field the schemas do not know` +
		    (unk.length ? ` (${unk.join(" ")})` : ""), unk.length === 0);
		objs.push(o);
	}
}

const byKind = (k) => objs.filter((o) => o.kind === k);
const matches = (sel, labels) => sel !== undefined &&
    Object.entries(sel).every(([k, v]) => labels?.[k] === v);

const cms = byKind("ConfigMap").filter((c) => c.data?.["dotproxy.conf"]);
check("a ConfigMap carries dotproxy.conf", cms.length === 1);
{
	// a node-local resolver keeps the cluster's names inside
	const conf = cms[0]?.data["dotproxy.conf"] ?? "";
	const zone = (name) => new RegExp(`zone "${name}" \\{\\s*upstream ` +
	    `10\\.\\d+\\.\\d+\\.\\d+ port 53 cleartext\\s*\\}`).test(conf);
	check("dotproxy.conf: the cluster domain goes to the cluster DNS",
	    zone("cluster\\.local"));
	check("dotproxy.conf: pod and Service reverse names go to the cluster DNS",
	    zone("10\\.in-addr\\.arpa") && zone("d\\.f\\.ip6\\.arpa"));
}
if (cms.length === 1 && outdir)
	writeFileSync(join(outdir, "dotproxy.conf"), cms[0].data["dotproxy.conf"]);

const ds = byKind("DaemonSet"), dep = byKind("Deployment");
check("one DaemonSet (one proxy per node)", ds.length === 1);
check("one Deployment (the shared pool)", dep.length === 1);

for (const w of [...ds, ...dep]) {
	const n = `${w.kind} ${w.metadata.name}`;
	const pod = w.spec.template.spec, labels = w.spec.template.metadata.labels;
	const c = pod.containers.find((c) => c.name === "dotproxy");
	check(`${n}: a container named dotproxy`, c !== undefined);
	if (c === undefined)
		continue;
	const psc = pod.securityContext ?? {}, sc = c.securityContext ?? {};
	for (const r of ["requests", "limits"])
		for (const q of ["cpu", "memory"])
			check(`${n}: resources.${r}.${q} set`,
			    c.resources?.[r]?.[q] !== undefined);
	const rp = c.readinessProbe?.exec?.command ?? [];
	check(`${n}: readiness probe runs dotproxy-probe, a DNS query ` +
	    `answered NOERROR/NXDOMAIN (${rp.join(" ")})`,
	    rp[0] === "/usr/local/sbin/dotproxy-probe" && !rp.includes("-a"));
	const lp = c.livenessProbe?.exec?.command ?? [];
	probes.push(`readiness ${rp.join(" ")}`, `liveness ${lp.join(" ")}`);
	check(`${n}: liveness probe runs dotproxy-probe (${lp.join(" ")})`,
	    lp[0] === "/usr/local/sbin/dotproxy-probe");
	// dotproxy-probe waits 2 s for its answer unless -w says otherwise.
	for (const [what, p, cmd] of [["readiness", c.readinessProbe, rp],
	    ["liveness", c.livenessProbe, lp]]) {
		const wi = cmd.indexOf("-w");
		const wait = wi === -1 ? 2 : Number(cmd[wi + 1]);
		check(`${n}: ${what} timeoutSeconds ${p?.timeoutSeconds} ` +
		    `outlasts the probe's own wait of ${wait} s`,
		    p !== undefined && p.timeoutSeconds > wait);
	}
	check(`${n}: runAsNonRoot`,
	    (sc.runAsNonRoot ?? psc.runAsNonRoot) === true);
	check(`${n}: a numeric non-root user (${sc.runAsUser ?? psc.runAsUser})`,
	    (sc.runAsUser ?? psc.runAsUser) > 0);
	check(`${n}: readOnlyRootFilesystem`, sc.readOnlyRootFilesystem === true);
	check(`${n}: allowPrivilegeEscalation false`,
	    sc.allowPrivilegeEscalation === false);
	check(`${n}: every capability dropped`,
	    (sc.capabilities?.drop ?? []).includes("ALL") &&
	    (sc.capabilities?.add ?? []).length === 0);
	check(`${n}: seccompProfile RuntimeDefault`,
	    (sc.seccompProfile ?? psc.seccompProfile)?.type === "RuntimeDefault");
	const vols = (pod.volumes ?? []).filter((v) =>
	    cms.some((cm) => v.configMap?.name === cm.metadata.name));
	const mnt = (c.volumeMounts ?? []).find((m) =>
	    vols.some((v) => v.name === m.name));
	const fi = (c.args ?? []).indexOf("-f");
	check(`${n}: the ConfigMap is mounted and passed with -f`,
	    mnt !== undefined && fi !== -1 &&
	    c.args[fi + 1] === `${mnt.mountPath}/dotproxy.conf`);
	check(`${n}: ports 35353 UDP and TCP`, ["UDP", "TCP"].every((p) =>
	    (c.ports ?? []).some((q) => q.containerPort === 35353 &&
	    (q.protocol ?? "TCP") === p)));
	const svc = byKind("Service").filter((s) =>
	    matches(s.spec.selector, labels));
	check(`${n}: a Service selects its pods`, svc.length === 1);
	if (w.kind === "DaemonSet")
		check(`${n}: its Service keeps traffic on the node`,
		    svc[0]?.spec.internalTrafficPolicy === "Local");
	if (w.kind === "Deployment") {
		const pdb = byKind("PodDisruptionBudget").filter((p) =>
		    matches(p.spec.selector?.matchLabels, labels));
		check(`${n}: a PodDisruptionBudget covers it`, pdb.length === 1);
		const min = pdb[0]?.spec.minAvailable;
		check(`${n}: the budget leaves a replica to evict ` +
		    `(minAvailable ${min} < replicas ${w.spec.replicas})`,
		    typeof min !== "number" || min < w.spec.replicas);
	}
}
if (outdir)
	writeFileSync(join(outdir, "probes.cmd"), probes.join("\n") + "\n");
process.exit(failed ? 1 : 0);
