// Validates rendered Kubernetes manifests offline:
//  1. schema: every object against the OpenAPI/CRD JSON schemas shipped by the npm packages
//     kubernetes-models (core API), @kubernetes-models/keda (ScaledObject,
//     TriggerAuthentication) and @kubernetes-models/prometheus-operator (ServiceMonitor);
//     unknown kinds fail;
//  2. copydesk policy: probes (ingest /livez and /readyz, lookup gRPC health), resources,
//     non-root, read-only root filesystem, writable paths on emptyDir or the StatefulSet's
//     persistent volumes only, no `replicas` where KEDA scales, KEDA maxReplicaCount <= the raw
//     topic's partition count, PDBs/Services/ServiceMonitor/NetworkPolicy select something that
//     exists, Secret references present and never optional, SASL credentials wherever the
//     ConfigMap asks for SASL, TLS material mounted where configured, the same
//     kube-prometheus-stack `release` label on the ServiceMonitor and the PrometheusRule.
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

function probeKind(p) {
  if (!p) return "none";
  if (p.httpGet) return `http ${p.httpGet.path}`;
  if (p.grpc) return `grpc ${p.grpc.service ?? ""}`.trim();
  if (p.exec) return `exec ${(p.exec.command || []).slice(1, 3).join(" ")}`;
  return "other";
}

function policy(set, objs) {
  const byKind = (k) => objs.filter((o) => o.kind === k);
  const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
  const deployments = workloads;  // everything that selects pods
  const config = Object.assign({}, ...byKind("ConfigMap").map((c) => c.data || {}));
  const sasl = (config.COPYDESK_KAFKA_PROPERTY_SECURITY_PROTOCOL || "").startsWith("SASL");
  check(workloads.some((w) => w.metadata.name.includes("ingest")) && workloads.some((w) => w.metadata.name.includes("lookup")),
    `${set}: has the ingest and lookup workloads`);
  for (const d of workloads) {
    const id = `${set}: ${d.kind}/${d.metadata.name}`;
    const pod = d.spec.template.spec;
    check(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${id} selector matches its pod labels`);
    check(pod.securityContext?.runAsNonRoot === true && pod.securityContext?.runAsUser > 0, `${id} runs as non-root`);
    check(pod.automountServiceAccountToken === false, `${id} mounts no service account token`);
    const volumes = Object.fromEntries((pod.volumes || []).map((v) => [v.name, v]));
    const claims = new Set((d.spec.volumeClaimTemplates || []).map((c) => c.metadata.name));
    for (const v of pod.volumes || []) {
      check(!v.secret || v.secret.optional !== true, `${id} volume ${v.name}: Secret ${v.secret?.secretName} is not optional`);
    }
    for (const c of pod.containers) {
      const cid = `${id} container ${c.name}`;
      check(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.cpu && c.resources?.limits?.memory,
        `${cid} has cpu/memory requests and limits`);
      check(c.livenessProbe && c.readinessProbe && c.startupProbe, `${cid} has start-up, liveness and readiness probes`);
      const live = probeKind(c.livenessProbe), ready = probeKind(c.readinessProbe), start = probeKind(c.startupProbe);
      if (c.name === "ingest") {
        check(live === "http /livez" && start === "http /livez" && ready === "http /readyz",
          `${cid} probes /livez (start-up, liveness) and /readyz (readiness), not /metrics (${start}, ${live}, ${ready})`);
      }
      if (c.name === "lookup") {
        // gRPC health: "liveness" is SERVING while the process serves, copydesk.v1.Lookup once the
        // view has caught up (a rebuild must not get the pod restarted).
        const service = (p) => p?.grpc ? (p.grpc.service ?? "") :
          ((p?.exec?.command || []).find((a) => a.startsWith("--service=")) || "").slice("--service=".length);
        const grpcProbe = (p) => Boolean(p?.grpc) || (p?.exec?.command || []).slice(1, 3).join(" ") === "probe grpc";
        check(grpcProbe(c.startupProbe) && grpcProbe(c.livenessProbe) && service(c.startupProbe) === "liveness" &&
          service(c.livenessProbe) === "liveness",
          `${cid} start-up and liveness on the gRPC health service "liveness" (${start}, ${live})`);
        check(grpcProbe(c.readinessProbe) && service(c.readinessProbe) === "copydesk.v1.Lookup",
          `${cid} readiness is the gRPC health of copydesk.v1.Lookup (${ready})`);
        const tls = (c.env || []).some((e) => e.name === "COPYDESK_LOOKUP_TLS_CERT");
        if (tls) {
          check([c.startupProbe, c.livenessProbe, c.readinessProbe].every((p) => p?.exec && !p.grpc),
            `${cid} with TLS probes over TLS (copydesk probe grpc; kubelet gRPC probes are plaintext)`);
        }
      }
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
        const port = p?.grpc?.port ?? p?.httpGet?.port;
        if (port !== undefined) {
          check(port === 50051 || port === 9464 || port === "metrics" || port === "grpc",
            `${cid} probes gRPC health on 50051 or HTTP on the metrics port (${port})`);
        }
      }
      check(c.securityContext?.readOnlyRootFilesystem === true, `${cid} has a read-only root filesystem`);
      check(c.securityContext?.allowPrivilegeEscalation === false && (c.securityContext?.capabilities?.drop || []).includes("ALL"),
        `${cid} drops all capabilities and privilege escalation`);
      for (const m of c.volumeMounts || []) {
        const v = volumes[m.name];
        const ok = (v && (v.emptyDir || ((v.secret || v.configMap) && m.readOnly))) || (!v && claims.has(m.name));
        check(ok, `${cid} mount ${m.mountPath} is an emptyDir, a read-only secret/configMap or a persistent volume claim`);
      }
      check((c.volumeMounts || []).some((m) => m.mountPath === "/tmp" && volumes[m.name]?.emptyDir), `${cid} has a writable /tmp emptyDir`);
      const env = Object.fromEntries((c.env || []).map((e) => [e.name, e]));
      for (const e of c.env || []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) {
          check(ref.name && ref.key, `${cid} env ${e.name} references Secret ${ref.name}/${ref.key}`);
          check(ref.optional !== true, `${cid} env ${e.name}: Secret ${ref.name} is required, not optional`);
        }
      }
      if (sasl) {
        for (const k of ["SASL_USERNAME", "SASL_PASSWORD"]) {
          const ref = env[`COPYDESK_KAFKA_PROPERTY_${k}`]?.valueFrom?.secretKeyRef;
          check(ref && ref.name === "copydesk-kafka" && ref.optional !== true,
            `${cid} takes COPYDESK_KAFKA_PROPERTY_${k} from Secret copydesk-kafka (the ConfigMap asks for SASL)`);
        }
      }
      // Files named by the configuration are mounted.
      const files = [config.COPYDESK_KAFKA_PROPERTY_SSL_CA_LOCATION, env.COPYDESK_LOOKUP_TLS_CERT?.value,
        env.COPYDESK_LOOKUP_TLS_KEY?.value].filter(Boolean);
      for (const f of files) {
        check((c.volumeMounts || []).some((m) => f.startsWith(m.mountPath + "/") && volumes[m.name]?.secret),
          `${cid} mounts ${f} from a Secret`);
      }
      for (const ef of c.envFrom || []) {
        check(!ef.secretRef || ef.secretRef.optional !== true, `${cid} envFrom Secret is not optional`);
        const cm = ef.configMapRef && objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === ef.configMapRef.name);
        if (ef.configMapRef) check(cm, `${cid} envFrom ConfigMap ${ef.configMapRef.name} exists`);
        if (cm) check(Object.keys(cm.data || {}).every((k) => k.startsWith("COPYDESK_")), `${cid} ConfigMap keys are all COPYDESK_*`);
        // A process warns about COPYDESK_* keys of another component: keep them apart.
        const foreign = c.name === "ingest" ? "COPYDESK_LOOKUP_" : c.name === "lookup" ? "COPYDESK_INGEST_" : null;
        if (cm && foreign) check(!Object.keys(cm.data || {}).some((k) => k.startsWith(foreign)), `${cid} gets no ${foreign}* keys`);
      }
    }
    // Workers: autoscaled by KEDA (which owns replicas), bounded by the partition count.
    const parts = Number(d.metadata.annotations?.["copydesk.dev/raw-topic-partitions"]);
    if (d.metadata.name.includes("ingest")) {
      check(d.kind === "Deployment", `${id} is a Deployment (its state is restored from Kafka)`);
      check(parts > 0, `${id} declares copydesk.dev/raw-topic-partitions`);
      const so = byKind("ScaledObject").find((s) => s.spec.scaleTargetRef.name === d.metadata.name);
      if (check(so, `${id} is autoscaled by a KEDA ScaledObject`)) {
        check(d.spec.replicas === undefined, `${id} sets no replicas (KEDA owns them; got ${d.spec.replicas})`);
        check(so.spec.maxReplicaCount <= parts, `${id} ScaledObject maxReplicaCount ${so.spec.maxReplicaCount} <= ${parts} partitions`);
        check(so.spec.minReplicaCount <= so.spec.maxReplicaCount, `${id} ScaledObject min <= max`);
        check(so.spec.triggers.some((t) => t.type === "kafka" && t.metadata.lagThreshold), `${id} scales on Kafka consumer lag`);
      } else {
        check(d.spec.replicas <= parts, `${id} replicas ${d.spec.replicas} <= ${parts} partitions`);
      }
      check(byKind("PodDisruptionBudget").some((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels)),
        `${id} has a PodDisruptionBudget`);
      check(byKind("Service").some((s) => matches(s.spec.selector, d.spec.template.metadata.labels) && s.spec.ports.some((p) => p.name === "metrics")),
        `${id} has a Service exposing metrics`);
    }
    if (d.metadata.name.includes("lookup")) {
      check(d.kind === "StatefulSet", `${id} is a StatefulSet (its view survives restarts)`);
      const dataMount = pod.containers.flatMap((c) => c.volumeMounts || []).find((m) => m.mountPath === "/var/lib/copydesk");
      check(dataMount && claims.has(dataMount.name), `${id} keeps its view (/var/lib/copydesk) on a persistent volume claim`);
      const gov = byKind("Service").find((s) => s.metadata.name === d.spec.serviceName);
      check(gov && gov.spec.clusterIP === "None", `${id} has its headless governing Service ${d.spec.serviceName}`);
      check(byKind("Service").some((s) => matches(s.spec.selector, d.spec.template.metadata.labels) && s.spec.ports.some((p) => p.port === 50051)),
        `${id} has a Service on gRPC 50051`);
      check(pod.containers.some((c) => (c.env || []).some((e) => e.valueFrom?.secretKeyRef?.name === "copydesk-lookup-tokens")),
        `${id} reads its tokens from a Secret`);
    }
  }
  // kube-prometheus-stack selects both by the same release label.
  const sm = byKind("ServiceMonitor")[0], pr = byKind("PrometheusRule")[0];
  const release = sm?.metadata?.labels?.release;
  check(release && release === pr?.metadata?.labels?.release,
    `${set}: ServiceMonitor and PrometheusRule carry the same kube-prometheus-stack release label (${release}, ${pr?.metadata?.labels?.release})`);
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
