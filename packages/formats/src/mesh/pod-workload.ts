/**
 * Kubernetes' alphabet for generated name suffixes (apimachinery rand.SafeEncodeString): a pod of a
 * Deployment is `<deployment>-<pod-template-hash>-<5 of these>`, the hash 6 to 10 of them.
 */
const deploymentPod = /^(.+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/
/** A StatefulSet's pod is `<statefulset>-<ordinal>`. */
const statefulSetPod = /^(.+)-(?:0|[1-9]\d*)$/

/**
 * The workload a pod's generated name encodes (Kubernetes' naming of Deployment and StatefulSet
 * pods), else the pod name itself: a name that outlives the pod, for records that name nothing else.
 */
export function workloadOfPod(pod: string): string {
  return deploymentPod.exec(pod)?.[1] ?? statefulSetPod.exec(pod)?.[1] ?? pod
}
