// Validates rendered Kubernetes manifests offline:
//  1. schema: every object against the OpenAPI/CRD JSON schemas shipped by the npm packages
//     kubernetes-models (core API), @kubernetes-models/keda (ScaledObject,
//     TriggerAuthentication) and @kubernetes-models/prometheus-operator (ServiceMonitor);
//     unknown kinds fail;
//  2. copydesk policy: probes, resources, non-root, read-only root filesystem, writable paths
//     on emptyDir only, worker replicas and KEDA maxReplicaCount <= the raw topic's partition
//     count, PDBs/Services/ServiceMonitor/NetworkPolicy select something that exists, Secret
//     references present.
// Usage: node validate-k8s.mjs NAME=FILE.yaml...   (multi-document YAML from kustomize)
// Exit 1 when anything failed. Prints one line per check and a "N passed, N failed" total.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const MODELS = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "keda.sh/v1alpha1": "@kubernetes-models/keda/keda.sh/v1alpha1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
    console.log(`ok    ${what}`);
  } else {
    failed++;
    console.log(`FAIL  ${what}`);
  }
  return ok;
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => (labels || {})[k] === v);
}

async function validateSchema(set, obj) {
  const id = `${set}: ${obj.kind}/${obj.metadata?.name}`;
  const base = MODELS[obj.apiVersion];
  if (!check(base, `${id} apiVersion ${obj.apiVersion} has a schema`)) return;
  let Model;
  try {
    Model = (await import(`${base}/${obj.kind}`))[obj.kind];
  } catch (e) {
    check(false, `${id} kind ${obj.kind} has a schema (${e.message})`);
    return;
  }
  try {
    new Model(obj).validate();
    check(true, `${id} matches the ${obj.apiVersion} ${obj.kind} schema`);
  } catch (e) {
    check(false, `${id} matches the ${obj.apiVersion} ${obj.kind} schema: ${e.message}`);
  }
}

function policy(set, objs) {
  const byKind = (k) => objs.filter((o) => o.kind === k);
  const deployments = byKind("Deployment");
  check(deployments.length >= 2, `${set}: has the ingest and lookup Deployments`);
  for (const d of deployments) {
    const id = `${set}: Deployment/${d.metadata.name}`;
    const pod = d.spec.template.spec;
    check(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${id} selector matches its pod labels`);
    check(pod.securityContext?.runAsNonRoot === true && pod.securityContext?.runAsUser > 0, `${id} runs as non-root`);
    check(pod.automountServiceAccountToken === false, `${id} mounts no service account token`);
    const volumes = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
    for (const c of pod.containers) {
      const cid = `${id} container ${c.name}`;
      check(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.cpu && c.resources?.limits?.memory,
        `${cid} has cpu/memory requests and limits`);
      check(c.livenessProbe && c.readinessProbe, `${cid} has liveness and readiness probes`);
      const probePorts = [c.livenessProbe, c.readinessProbe].map((p) => p?.grpc?.port ?? p?.httpGet?.port);
      check(probePorts.every((p) => p === 50051 || p === 9464 || p === "metrics" || p === "grpc"),
        `${cid} probes gRPC health on 50051 or HTTP on the metrics port (${probePorts.join(", ")})`);
      check(c.securityContext?.readOnlyRootFilesystem === true, `${cid} has a read-only root filesystem`);
      check(c.securityContext?.allowPrivilegeEscalation === false && (c.securityContext?.capabilities?.drop || []).includes("ALL"),
        `${cid} drops all capabilities and privilege escalation`);
      for (const m of c.volumeMounts || []) {
        const v = volumes[m.name];
        const ok = v && (v.emptyDir || ((v.secret || v.configMap) && m.readOnly));
        check(ok, `${cid} mount ${m.mountPath} is an emptyDir or a read-only secret/configMap`);
      }
      check((c.volumeMounts || []).some((m) => m.mountPath === "/tmp" && volumes[m.name]?.emptyDir), `${cid} has a writable /tmp emptyDir`);
      for (const e of c.env || []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) check(ref.name && ref.key, `${cid} env ${e.name} references Secret ${ref.name}/${ref.key}`);
      }
      for (const ef of c.envFrom || []) {
        const cm = ef.configMapRef && objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === ef.configMapRef.name);
        if (ef.configMapRef) check(cm, `${cid} envFrom ConfigMap ${ef.configMapRef.name} exists`);
        if (cm) check(Object.keys(cm.data || {}).every((k) => k.startsWith("COPYDESK_")), `${cid} ConfigMap keys are all COPYDESK_*`);
        // A process warns about COPYDESK_* keys of another component: keep them apart.
        const foreign = c.name === "ingest" ? "COPYDESK_LOOKUP_" : c.name === "lookup" ? "COPYDESK_INGEST_" : null;
        if (cm && foreign) check(!Object.keys(cm.data || {}).some((k) => k.startsWith(foreign)), `${cid} gets no ${foreign}* keys`);
      }
    }
    // Workers: replicas and autoscaling bounded by the partition count.
    const parts = Number(d.metadata.annotations?.["copydesk.dev/raw-topic-partitions"]);
    if (d.metadata.name.includes("ingest")) {
      check(parts > 0, `${id} declares copydesk.dev/raw-topic-partitions`);
      check(d.spec.replicas <= parts, `${id} replicas ${d.spec.replicas} <= ${parts} partitions`);
      const so = byKind("ScaledObject").find((s) => s.spec.scaleTargetRef.name === d.metadata.name);
      if (check(so, `${id} is autoscaled by a KEDA ScaledObject`)) {
        check(so.spec.maxReplicaCount <= parts, `${id} ScaledObject maxReplicaCount ${so.spec.maxReplicaCount} <= ${parts} partitions`);
        check(so.spec.minReplicaCount <= so.spec.maxReplicaCount, `${id} ScaledObject min <= max`);
        check(so.spec.triggers.some((t) => t.type === "kafka" && t.metadata.lagThreshold), `${id} scales on Kafka consumer lag`);
      }
      check(byKind("PodDisruptionBudget").some((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)),
        `${id} has a PodDisruptionBudget`);
      check(byKind("Service").some((s) => matches(s.spec.selector, d.spec.template.metadata.labels) && s.spec.ports.some((p) => p.name === "metrics")),
        `${id} has a Service exposing metrics`);
    }
    if (d.metadata.name.includes("lookup")) {
      check(byKind("Service").some((s) => matches(s.spec.selector, d.spec.template.metadata.labels) && s.spec.ports.some((p) => p.port === 50051)),
        `${id} has a Service on gRPC 50051`);
      check(pod.containers.some((c) => (c.env || []).some((e) => e.valueFrom?.secretKeyRef?.name === "copydesk-lookup-tokens")),
        `${id} reads its tokens from a Secret`);
    }
    check(pod.containers.some((c) => (c.env || []).some((e) => (e.valueFrom?.secretKeyRef?.name || "").startsWith("copydesk-kafka"))),
      `${id} references the Kafka SASL Secret`);
  }
  for (const p of byKind("PodDisruptionBudget")) {
    check(deployments.some((d) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)),
      `${set}: PodDisruptionBudget/${p.metadata.name} selects a Deployment's pods`);
  }
  for (const s of byKind("Service")) {
    check(deployments.some((d) => matches(s.spec.selector, d.spec.template.metadata.labels)), `${set}: Service/${s.metadata.name} selects a Deployment's pods`);
  }
  for (const n of byKind("NetworkPolicy")) {
    check(deployments.some((d) => matches(n.spec.podSelector.matchLabels, d.spec.template.metadata.labels)),
      `${set}: NetworkPolicy/${n.metadata.name} applies to copydesk pods`);
  }
  check(byKind("NetworkPolicy").length > 0, `${set}: has a NetworkPolicy`);
  const sms = byKind("ServiceMonitor");
  check(sms.length > 0, `${set}: has a ServiceMonitor`);
  for (const sm of sms) {
    const svcs = byKind("Service").filter((s) => matches(sm.spec.selector.matchLabels, s.metadata.labels));
    check(svcs.length >= 2, `${set}: ServiceMonitor/${sm.metadata.name} selects the ingest and lookup Services (${svcs.map((s) => s.metadata.name).join(", ")})`);
    for (const ep of sm.spec.endpoints) {
      check(svcs.every((s) => s.spec.ports.some((p) => p.name === ep.port)), `${set}: every selected Service has port ${ep.port}`);
    }
  }
  const rules = byKind("PrometheusRule");
  check(rules.length === 1 && rules[0].spec.groups.some((g) => g.rules.some((r) => r.alert)),
    `${set}: has the PrometheusRule with the copydesk alerts`);
  const ns = new Set(objs.map((o) => o.metadata.namespace));
  check(ns.size === 1 && !ns.has(undefined), `${set}: every object is in one namespace (${[...ns].join(", ")})`);
}

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error("usage: node validate-k8s.mjs NAME=FILE.yaml...");
  process.exit(2);
}
for (const arg of args) {
  const [set, file] = arg.includes("=") ? arg.split("=", 2) : [arg, arg];
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const objs = [];
  for (const d of docs) {
    if (d.errors.length) {
      check(false, `${set}: YAML parses: ${d.errors[0].message}`);
      continue;
    }
    const o = d.toJS();
    if (o) objs.push(o);
  }
  check(objs.length > 0, `${set}: ${objs.length} objects rendered`);
  for (const o of objs) await validateSchema(set, o);
  policy(set, objs);
}
console.log(`k8s: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
