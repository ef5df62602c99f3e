# ccs hook for bash. Install with this line in ~/.bashrc:
#     eval "$(ccs init bash)"
# It makes `ccs use NAME` and `ccs off` switch this shell, gives `ccs_prompt`, and leaves every
# other command to the binary. Safe under `set -u`, and to source more than once.

ccs() {
    case ${1-} in
        use | off)
            if __ccs_asks_for_help "$@"; then
                command ccs "$@"
                return
            fi
            # Evaluate only what a successful run printed: a failed `use` changes nothing.
            local __ccs_code
            __ccs_code=$(command ccs "$1" --shell bash "${@:2}") || return
            eval "$__ccs_code"
            ;;
        *)
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=bash command ccs "$@"
            ;;
    esac
}

__ccs_asks_for_help() {
    local arg
    for arg in "$@"; do
        case $arg in
            -h | --help) return 0 ;;
            --) return 1 ;;
        esac
    done
    return 1
}

# Prints the active profile, for PROMPT_COMMAND or a status line. In PS1 itself use
# '${CCS_PROFILE:+($CCS_PROFILE) }': bash expands it with no process, while $(ccs_prompt) forks.
ccs_prompt() {
    [[ -n ${CCS_PROFILE-} ]] && printf '%s' "${CCS_PROFILE}"
    return 0
}

# Opt-in (`ccs init bash --prompt`): show `(work) ` before the prompt, like a Python venv.
# The check runs at every prompt because themes rebuild PS1; it costs no process.
__ccs_prompt_prefix() {
    local status=$?
    # shellcheck disable=SC2016 # the literal text is wanted: bash expands it at each prompt
    case $PS1 in
        *'${CCS_PROFILE:+'*) ;;
        *) PS1='${CCS_PROFILE:+($CCS_PROFILE) }'$PS1 ;;
    esac
    return "$status"
}

__ccs_enable_prompt_prefix() {
    __ccs_add_prompt_command __ccs_prompt_prefix
}

# Adds a function to PROMPT_COMMAND once, keeping it an array if the user made it one (bash 5.1+)
# and otherwise appending to the string on a line of its own.
__ccs_add_prompt_command() {
    local fn=$1 entry
    # ${var@a} needs bash 4.4 (macOS ships 3.2); arrays here need 5.1, so check the version first.
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
        [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
        for entry in "${PROMPT_COMMAND[@]}"; do
            [[ $entry == "$fn" ]] && return 0
        done
        PROMPT_COMMAND+=("$fn")
    else
        case $'\n'${PROMPT_COMMAND-}$'\n' in
            *$'\n'"$fn"$'\n'*) return 0 ;;
        esac
        # shellcheck disable=SC2128,SC2178 # a string: the array case is handled above
        PROMPT_COMMAND=${PROMPT_COMMAND:+${PROMPT_COMMAND}$'\n'}$fn
    fi
}
