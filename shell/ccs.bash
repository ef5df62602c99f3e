# ccs hook for bash, its own part (after ccs.sh, which it shares with zsh). Install with this
# line in ~/.bashrc:
#     eval "$(ccs init bash)"
# Safe under `set -u`, and to source more than once.

# Opt-in (`ccs init bash --prompt`): show `(work) ` before the prompt, like a Python venv.
# The check runs at every prompt because themes rebuild PS1; it costs no process. PS1 expands
# CCS_PROFILE itself, when the prompt is drawn, with every character a profile name cannot hold
# shown as `?`: nothing put in CCS_PROFILE can send escape sequences to the terminal. The letters
# are listed, not given as ranges: without `globasciiranges` (off before bash 5.0) a range follows
# the locale's collation.
__ccs_prompt_prefix() {
    local status=$?
    # shellcheck disable=SC2016 # the literal text is wanted: bash expands it at each prompt
    case $PS1 in
        *'${CCS_PROFILE:+('*) ;;
        *) PS1='${CCS_PROFILE:+(${CCS_PROFILE//[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-]/?}) }'$PS1 ;;
    esac
    # A prompt tool that sets PS1 from its own prompt command (starship) and was set up after this
    # hook runs after it, or wraps it: stay the last prompt command, so that the prefix is added
    # to the PS1 that tool made (from the next prompt on).
    __ccs_prompt_command_is_last __ccs_prompt_prefix || __ccs_add_prompt_command __ccs_prompt_prefix last
    return "$status"
}

__ccs_enable_prompt_prefix() {
    __ccs_add_prompt_command __ccs_prompt_prefix last
}

# Switching by pin runs first among the prompt commands, so that every prompt tool after it
# (starship, a PROMPT_COMMAND set before this hook) draws the profile just switched to.
__ccs_enable_auto_switch() {
    __ccs_auto_on=1
    __ccs_add_prompt_command __ccs_auto_switch first
    __ccs_auto_switch
}

# Whether `fn` is the last prompt command bash runs: the last of bash-preexec's
# precmd_functions when it is installed, else the last line of the last PROMPT_COMMAND entry (a
# string is its own element 0). Parameter expansion only: this runs at every prompt.
__ccs_prompt_command_is_last() {
    local last
    if __ccs_bash_preexec_installed; then
        last=${precmd_functions[*]+"${precmd_functions[*]: -1}"}
    elif __ccs_prompt_command_is_array; then
        last=${PROMPT_COMMAND[*]: -1}
    else
        # shellcheck disable=SC2128 # a string: the array case is handled above
        last=${PROMPT_COMMAND-}
    fi
    last=${last%$'\n'}
    [[ ${last##*$'\n'} == "$1" ]]
}

# bash-preexec installed (or about to install at the next prompt): its entries are there. Only
# imported is not enough: it stays out when PROMPT_COMMAND is readonly or its install delayed.
__ccs_bash_preexec_installed() {
    [[ ${PROMPT_COMMAND[*]-} == *__bp_precmd_invoke_cmd* || ${PROMPT_COMMAND[*]-} == *__bp_install* ]]
}

# Puts a function `first` or `last` among what bash runs before each prompt, once: wherever it
# was is dropped first. With bash-preexec installed that is its precmd_functions: an entry put in
# PROMPT_COMMAND after bash-preexec installed itself would run beside its `__bp_interactive_mode`
# and stop every preexec function from firing. (One added before bash-preexec is kept by it, as a
# line of its own PROMPT_COMMAND entry, until this moves it.) Otherwise PROMPT_COMMAND, kept an
# array if the user made it one (bash 5.1+), else a string with each command on a line of its own.
__ccs_add_prompt_command() {
    local fn=$1 where=$2
    __ccs_drop_prompt_command "$fn"
    if __ccs_bash_preexec_installed; then
        if [[ $where == first ]]; then
            precmd_functions=("$fn" ${precmd_functions[@]+"${precmd_functions[@]}"})
        else
            precmd_functions+=("$fn")
        fi
    elif __ccs_prompt_command_is_array; then
        if [[ $where == first ]]; then
            PROMPT_COMMAND=("$fn" "${PROMPT_COMMAND[@]}")
        else
            PROMPT_COMMAND+=("$fn")
        fi
    elif [[ $where == first ]]; then
        # shellcheck disable=SC2128,SC2178 # a string: the array case is handled above
        PROMPT_COMMAND=$fn${PROMPT_COMMAND:+$'\n'$PROMPT_COMMAND}
    else
        # shellcheck disable=SC2128,SC2178
        PROMPT_COMMAND=${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}$fn
    fi
}

# Takes `fn` out of precmd_functions and out of every PROMPT_COMMAND entry, where it is a line of
# its own (bash-preexec folds the PROMPT_COMMAND it found into one multi-line entry).
__ccs_drop_prompt_command() {
    local fn=$1 entry kept=()
    for entry in ${precmd_functions[@]+"${precmd_functions[@]}"}; do
        [[ $entry == "$fn" ]] || kept+=("$entry")
    done
    [[ -z ${precmd_functions+set} ]] || precmd_functions=(${kept[@]+"${kept[@]}"})
    if __ccs_prompt_command_is_array; then
        kept=()
        for entry in "${PROMPT_COMMAND[@]}"; do
            case $'\n'$entry$'\n' in
                $'\n'"$fn"$'\n') ;;
                *$'\n'"$fn"$'\n'*)
                    __ccs_without_line "$entry" "$fn"
                    kept+=("$__ccs_text")
                    ;;
                *) kept+=("$entry") ;;
            esac
        done
        PROMPT_COMMAND=(${kept[@]+"${kept[@]}"})
    else
        # shellcheck disable=SC2128,SC2178 # a string: the array case is handled above
        case $'\n'${PROMPT_COMMAND-}$'\n' in
            *$'\n'"$fn"$'\n'*)
                __ccs_without_line "$PROMPT_COMMAND" "$fn"
                PROMPT_COMMAND=$__ccs_text
                ;;
        esac
    fi
}

# An array PROMPT_COMMAND runs every entry from bash 5.1 on. ${var@a} needs bash 4.4 (macOS ships
# 3.2), so the version is checked first.
__ccs_prompt_command_is_array() {
    ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) &&
        [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]
}

# Sets __ccs_text to `$1` without the lines that equal `$2`; builtins only.
__ccs_without_line() {
    local rest=$1 line
    __ccs_text=
    while [[ -n $rest ]]; do
        line=${rest%%$'\n'*}
        if [[ $line == "$rest" ]]; then rest=; else rest=${rest#*$'\n'}; fi
        [[ $line == "$2" ]] || __ccs_text+=${__ccs_text:+$'\n'}$line
    done
}
