# shellcheck shell=bash
# A stand-in for what `eval "$(starship init bash)"` sets up, for tests/it/prompt_order.rs: starship
# cannot be installed on these machines (not in Debian's archive; building it from crates.io takes
# longer than CI should). It behaves as starship's bash init does (starship 1.2x), in what matters
# to ccs's hook: PS1 is rebuilt from scratch by a prompt command, `starship_precmd`; without
# bash-preexec, a PROMPT_COMMAND found at set-up is moved into `_PRESERVED_PROMPT_COMMAND` and run
# inside `starship_precmd` before PS1 is made, and PROMPT_COMMAND becomes `starship_precmd`; with
# bash-preexec, `starship_precmd` is appended to precmd_functions. The prompt it draws shows the
# profile as starship's `env_var` module would: as CCS_PROFILE is when PS1 is made.

starship_precmd() {
    local status=$?
    eval "${_PRESERVED_PROMPT_COMMAND-}"
    PS1="[star:${CCS_PROFILE:-none}:$status] \$ "
}

if [[ ${__bp_imported-} == defined || -n ${precmd_functions[*]-} ]]; then
    precmd_functions+=(starship_precmd)
elif [[ -z ${PROMPT_COMMAND-} ]]; then
    PROMPT_COMMAND=starship_precmd
elif [[ $PROMPT_COMMAND != *starship_precmd* ]]; then
    _PRESERVED_PROMPT_COMMAND=$PROMPT_COMMAND
    PROMPT_COMMAND=starship_precmd
fi
