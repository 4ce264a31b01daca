_iggy_completion() {
    local line quoted word=${COMP_WORDS[COMP_CWORD]}
    local -a lines
    # one read of the whole answer, split at newlines only: no word splitting, no globbing
    mapfile -t lines <<< "$(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
        _IGGY_COMPLETE=bash_complete "$1")"
    COMPREPLY=()
    for line in "${lines[@]}"; do
        case ${line%%,*} in
            dir) COMPREPLY=(); compopt -o dirnames; return 0 ;;
            file) COMPREPLY=(); compopt -o default; return 0 ;;
            plain)
                # bash inserts a candidate as it is: `my token` would become two words.
                # Quoted as the shell reads it back, unless the word already opens a quote.
                if [[ $word == \"* || $word == \'* ]]; then
                    COMPREPLY+=("${line#*,}")
                else
                    printf -v quoted %q "${line#*,}"
                    COMPREPLY+=("$quoted")
                fi ;;
        esac
    done
    return 0
}

complete -o nosort -F _iggy_completion iggy-cli
