# Which API server the integration suites start (source it; lib.sh does):
#   MG_TEST_SERVER=testcluster (default): hack/testcluster, the project's test API server
#   MG_TEST_SERVER=real: hack/realcluster, a real kube-apiserver v1.28 + etcd +
#     kube-controller-manager (binaries from KUBEBUILDER_ASSETS or ../shared/k8s-1.28/bin)
# Both take `up --dir DIR [--kubelet] [--jobs=manual]` and `down --dir DIR` and write
# DIR/kubeconfig with the contexts admin, alice, bob, carol and dave.
IT_SERVER_KIND=${MG_TEST_SERVER:-testcluster}
case "$IT_SERVER_KIND" in
  testcluster) IT_CLUSTER_CMD="$IT_ROOT/hack/testcluster/testcluster" ;;
  real) IT_CLUSTER_CMD="$IT_ROOT/hack/realcluster/realcluster" ;;
  *) echo "FATAL: MG_TEST_SERVER=$IT_SERVER_KIND: use testcluster or real" >&2; exit 2 ;;
esac
