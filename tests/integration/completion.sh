#!/bin/bash
# Shell completion of kubectl-modelgov against a cluster: the kubectl_complete-modelgov helper's
# answers for partial words (object names come from the cluster of the command line's
# --context/-n), kubectl's own completion of `kubectl modelgov ...` through the helper, bash
# driving the real `completion bash` script (complete -p, the completion function, and a real
# interactive bash in tmux pressing TAB), every flag offered accepted by its command, and every
# command's --help with examples.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT" || exit 1
HELPER=bin/kubectl_complete-modelgov
it_check "make put the helper next to the plugin" test -x "$HELPER"

it_start_cluster
kubectl apply -f crds/ >/dev/null
kubectl wait --for condition=established --timeout=30s crd --all >/dev/null
kubectl create ns ml >/dev/null
kubectl -n ml apply -f crds/samples/01-datasetversion.yaml -f crds/samples/03-modelversion.yaml \
  -f crds/samples/05-modeldeployment.yaml >/dev/null
kubectl -n ml get mv fraud-detector-1-4-0 -o json | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin); o["metadata"] = {"name": "fraud-detector-1-5-0", "annotations": o["metadata"].get("annotations", {})}
o["spec"]["version"] = "1.5.0"; print(json.dumps(o))' | kubectl -n ml apply -f - >/dev/null
DSV=$(kubectl -n ml get dsv -o jsonpath='{.items[0].metadata.name}')

cands() { "$HELPER" "$@" 2>/dev/null | grep -v '^:' | tr '\n' ' ' | sed 's/ $//'; }
directive() { "$HELPER" "$@" 2>/dev/null | sed -n 's/^://p'; }
it_eq "helper: commands for 're'" "review release report" "$(cands re)"
it_eq "helper: ModelVersions of -n ml for 'review fraud-detector-1-'" "fraud-detector-1-4-0 fraud-detector-1-5-0" \
  "$(cands -n ml review fraud-detector-1-)"
it_eq "helper: the same names with --namespace=ml after the command" "fraud-detector-1-4-0 fraud-detector-1-5-0" \
  "$(cands review --namespace=ml fraud)"
it_eq "helper: ModelDeployments for 'status'" "fraud-detector" "$(cands -n ml status '')"
it_eq "helper: 'report md/' gives md/ and the deployments" "md/fraud-detector" "$(cands -n ml report md/)"
it_eq "helper: 'bias-scan --apply dsv/' gives the DatasetVersions" "dsv/$DSV" "$(cands -n ml bias-scan --apply dsv/)"
it_eq "helper: 'review x --kind '" "security performance bias" "$(cands review x --kind '')"
it_eq "helper: report formats" "html md json yaml" "$(cands report -o '')"
it_eq "helper: no names in an empty namespace" "" "$(cands -n default review '')"
it_eq "helper: files for a data command (directive 0: the shell completes file names)" "0" "$(directive bias-scan '')"
it_eq "helper: objects never fall back to file names (directive 4)" "4" "$(directive -n default review '')"
it_eq "helper: an unreachable cluster gives nothing, quickly" "" \
  "$(KUBECONFIG=/nonexistent timeout 10 "$HELPER" review '' | grep -v '^:')"

# kubectl's own completion: `kubectl modelgov ...<TAB>` runs the helper found on PATH
kcomp() { PATH="$IT_ROOT/bin:$PATH" kubectl __complete modelgov "$@" 2>/dev/null | grep -v '^:' | tr '\n' ' ' | sed 's/ $//'; }
it_eq "kubectl __complete modelgov rel (kubectl runs the helper)" "release" "$(kcomp rel)"
it_eq "kubectl __complete modelgov -n ml lineage fraud (names from the cluster)" \
  "fraud-detector-1-4-0 fraud-detector-1-5-0" "$(kcomp -n ml lineage fraud)"

# bash: the real script
kubectl-modelgov completion bash >"$IT_DIR/completion.bash"
it_check "completion bash: bash -n accepts the script" bash -n "$IT_DIR/completion.bash"
bash_complete() { # WORDS...: COMPREPLY of the real completion function for that command line
  bash --norc -c '
    source "$1"; shift
    complete -p kubectl-modelgov >/dev/null || exit 9
    COMP_WORDS=(kubectl-modelgov "$@"); COMP_CWORD=$#
    _kubectl_modelgov 2>/dev/null
    echo "${COMPREPLY[*]}"' _ "$IT_DIR/completion.bash" "$@"
}
it_eq "bash: complete -p registers _kubectl_modelgov" "complete -o default -F _kubectl_modelgov kubectl-modelgov" \
  "$(bash --norc -c "source '$IT_DIR/completion.bash'; complete -p kubectl-modelgov")"
it_eq "bash: COMPREPLY for 'kubectl-modelgov qu'" "quarantine" "$(bash_complete qu)"
it_eq "bash: COMPREPLY for 'kubectl-modelgov -n ml history '" "fraud-detector" "$(bash_complete -n ml history '')"
it_eq "bash: compgen over the completion's words" "review" \
  "$(bash --norc -c "source '$IT_DIR/completion.bash'; COMP_WORDS=(kubectl-modelgov r); COMP_CWORD=1; _kubectl_modelgov 2>/dev/null; compgen -W \"\${COMPREPLY[*]}\" -- rev")"
if command -v tmux >/dev/null; then
  # an interactive bash in a terminal: type, press TAB, read the screen
  SOCK=$IT_DIR/tmux.sock
  tmux -S "$SOCK" new-session -d -x 200 -y 20 "env -i PATH='$IT_ROOT/bin:$PATH' KUBECONFIG='$KUBECONFIG' HOME='$IT_DIR' TERM=xterm bash --norc --noprofile -i"
  tmux -S "$SOCK" send-keys "PS1='$ '; source '$IT_DIR/completion.bash'" Enter
  tmux -S "$SOCK" send-keys "kubectl-modelgov -n ml lineage fraud-detector-1-5" Tab
  it_wait "interactive bash: TAB completes 'kubectl-modelgov -n ml lineage fraud-detector-1-5' to the ModelVersion" 10 \
    bash -c "tmux -S '$SOCK' capture-pane -p | grep -q 'lineage fraud-detector-1-5-0 *$'"
  tmux -S "$SOCK" kill-server 2>/dev/null
else
  echo "note - tmux not installed: the interactive TAB check is skipped"
fi
kubectl-modelgov completion zsh >"$IT_DIR/completion.zsh"
if command -v zsh >/dev/null; then
  it_check "completion zsh: zsh -n accepts the script" zsh -n "$IT_DIR/completion.zsh"
else
  it_check "completion zsh: a compdef script" grep -q '^compdef _kubectl_modelgov kubectl-modelgov' "$IT_DIR/completion.zsh"
fi
it_check "completion fish: refused as a usage error (exit 2)" bash -c "kubectl-modelgov completion fish 2>/dev/null; [ \$? = 2 ]"

# every flag the completion offers is one its command accepts; every command's --help has examples
flags_accepted() {
  local cmd flag bad=0 line
  while IFS= read -r cmd; do
    while IFS= read -r flag; do
      [ "$flag" = help ] && continue
      # shellcheck disable=SC2086 # the command may be two words
      if ! kubectl-modelgov $cmd "--$flag=x" --help >/dev/null 2>&1 && ! kubectl-modelgov $cmd "--$flag" --help >/dev/null 2>&1; then
        echo "    $cmd does not accept --$flag"; bad=1
      fi
    done < <("$HELPER" $cmd -- 2>/dev/null | sed -n 's/^--//p')
  done < <("$HELPER" '' | grep -v '^:' | while read -r line; do [ "$line" = dataset ] && printf 'dataset hash\ndataset register\n' || echo "$line"; done)
  return $bad
}
it_check "every flag offered is accepted by its command" flags_accepted
helps_have_examples() {
  local cmd bad=0 line
  while IFS= read -r cmd; do
    # shellcheck disable=SC2086
    kubectl-modelgov $cmd --help 2>&1 | grep -q '^Examples:' || { echo "    $cmd --help has no Examples"; bad=1; }
  done < <("$HELPER" '' | grep -v '^:' | while read -r line; do [ "$line" = dataset ] && printf 'dataset hash\ndataset register\n' || echo "$line"; done | grep -v '^version$')
  return $bad
}
it_check "every command's --help has examples" helps_have_examples
it_finish
