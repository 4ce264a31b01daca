_iggy_completion() {
    local line
    local -a lines
    # one read of the whole answer, split at newlines only: no word splitting, no globbing
    mapfile -t lines <<< "$(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
        _IGGY_COMPLETE=bash_complete "$1")"
    COMPREPLY=()
    for line in "${lines[@]}"; do
        case ${line%%,*} in
            dir) COMPREPLY=(); compopt -o dirnames; return 0 ;;
            file) COMPREPLY=(); compopt -o default; return 0 ;;
            plain) COMPREPLY+=("${line#*,}") ;;
        esac
    done
    return 0
}

complete -o nosort -F _iggy_completion iggy
