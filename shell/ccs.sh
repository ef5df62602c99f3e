# shellcheck shell=bash
# ccs hook, the part bash and zsh share: `ccs init bash` and `ccs init zsh` print it before the
# shell's own part (ccs.bash, ccs.zsh). It makes `ccs use NAME`, `ccs use -` and `ccs off` switch
# this shell (and `ccs rename` re-point it, `ccs remove` switch it off the profile it removes,
# `ccs continue` switch it to the profile it hands a conversation to, then resume it there),
# gives `ccs_prompt`, and leaves every other command to the binary.
# Each function starts with `emulate -L zsh` in zsh, so the user's options (KSH_ARRAYS, NOUNSET,
# ERR_EXIT, ...) do not change what it does; bash skips that line.

function ccs {
    [[ -z ${ZSH_VERSION-} ]] || emulate -L zsh
    case ${1-} in
        use | off | rename | remove | rm | continue)
            # `continue --print` prints a command for the person, not code for the shell.
            if __ccs_asks_for_help "$@" || [[ $1 == continue && " $* " == *" --print "* ]]; then
                command ccs "$@"
                return
            fi
            # A `cd` typed earlier on the same line (`cd ~/pinned; ccs use work`) is seen by bash
            # only at the next prompt: apply its pin first, so that this command wins over it.
            # (It hands on the status it found, which is not this command's: ignored.) Quietly:
            # this command decides where the shell ends, and says so.
            if [[ -n ${__ccs_auto_on-} ]]; then
                local __ccs_switching=1
                __ccs_auto_switch || :
            fi
            # Evaluate only what a successful run printed: a failed `use` changes nothing. `rename`
            # and `remove` print code only when they renamed or removed the profile this shell is
            # on (their report goes to stderr).
            local __ccs_code
            __ccs_code=$(command ccs "$1" --shell "${ZSH_VERSION+zsh}${BASH_VERSION+bash}" "${@:2}") || return
            eval "$__ccs_code"
            ;;
        *)
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=${ZSH_VERSION+zsh}${BASH_VERSION+bash} command ccs "$@"
            ;;
    esac
}

__ccs_asks_for_help() {
    [[ -z ${ZSH_VERSION-} ]] || emulate -L zsh
    local arg
    for arg in "$@"; do
        case $arg in
            -h | --help) return 0 ;;
            --) return 1 ;;
        esac
    done
    return 1
}

# Prints the active profile, for a status line or a prompt function. In the prompt itself use
# '${CCS_PROFILE:+($CCS_PROFILE) }' (zsh: with `setopt prompt_subst`): the shell expands it with
# no process, while $(ccs_prompt) forks.
ccs_prompt() {
    [[ -n ${CCS_PROFILE-} ]] && printf '%s' "$CCS_PROFILE"
    return 0
}

# Opt-in (`ccs init <shell> --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Costs no process while the directory stays the same or the
# nearest pin does, and one `ccs use` when the pin changes. CCS_AUTO_QUIET=1 silences the notes.
# The shell's own part decides when it runs: bash before each prompt, zsh on `cd` (chpwd).
__ccs_auto_switch() {
    # The last command's status, for the prompt commands after this one (zsh calls it `status`).
    local __ccs_status=$?
    [[ -z ${ZSH_VERSION-} ]] || emulate -L zsh
    if [[ $PWD != "${__ccs_auto_pwd-}" ]]; then
        __ccs_auto_pwd=$PWD
        __ccs_find_pin
        [[ $__ccs_pin_name != "${__ccs_auto_pin-}" ]] && __ccs_apply_pin
    fi
    return "$__ccs_status"
}

# Sets __ccs_pin_name and __ccs_pin_file from the nearest .ccs-profile at or above $PWD, with
# shell builtins only. The file is read as data, never evaluated; a CR before its newline (a
# checkout with Windows line ends) is not part of the name.
__ccs_find_pin() {
    [[ -z ${ZSH_VERSION-} ]] || emulate -L zsh
    __ccs_pin_name='' __ccs_pin_file=''
    local dir=$PWD
    while :; do
        if [[ -f $dir/.ccs-profile ]]; then
            __ccs_pin_file=$dir/.ccs-profile
            IFS= read -r __ccs_pin_name <"$__ccs_pin_file" || :
            __ccs_pin_name=${__ccs_pin_name%$'\r'}
            [[ -n $__ccs_pin_name ]] || __ccs_pin_name=' '
            return 0
        fi
        [[ -z $dir ]] && return 0
        dir=${dir%/*}
    done
}

__ccs_apply_pin() {
    [[ -z ${ZSH_VERSION-} ]] || emulate -L zsh
    if [[ -z ${__ccs_auto_pin-} ]]; then
        # Entering a pinned tree: remember what to restore on leaving it.
        __ccs_saved_set=${CLAUDE_CONFIG_DIR+set}
        __ccs_saved_dir=${CLAUDE_CONFIG_DIR-}
        __ccs_saved_profile=${CCS_PROFILE-}
    fi
    __ccs_auto_pin=$__ccs_pin_name
    if [[ -z $__ccs_pin_name ]]; then
        local before=${CLAUDE_CONFIG_DIR+set}:${CLAUDE_CONFIG_DIR-}
        if [[ -n $__ccs_saved_set ]]; then
            export CLAUDE_CONFIG_DIR="$__ccs_saved_dir"
            if [[ -n $__ccs_saved_profile ]]; then export CCS_PROFILE="$__ccs_saved_profile"; else unset CCS_PROFILE; fi
        else
            unset CLAUDE_CONFIG_DIR CCS_PROFILE
        fi
        # A shell that carries its profile's name over ssh carries the one it is back on.
        [[ -z ${LC_CCS_PROFILE+set} ]] || export LC_CCS_PROFILE="${CCS_PROFILE-}"
        # Said only when leaving changes the profile: a pin that never applied changed nothing.
        [[ -n ${CCS_AUTO_QUIET-} || $before == "${CLAUDE_CONFIG_DIR+set}:${CLAUDE_CONFIG_DIR-}" ]] ||
            printf 'ccs: left the pinned tree; back to %s\n' "${CCS_PROFILE:-${CLAUDE_CONFIG_DIR:-the default ~/.claude}}" >&2
    elif [[ ${#__ccs_pin_name} -le 64 && $__ccs_pin_name == [A-Za-z0-9]* &&
        $__ccs_pin_name != *[!A-Za-z0-9._-]* && $__ccs_pin_name != *..* ]]; then
        # ccs says when the profile changes (unless CCS_AUTO_QUIET), and why a pin cannot apply
        # (a profile renamed or removed): that once per shell and pin, and not while a `ccs use`
        # typed on the same line is about to decide (__ccs_switching). The pin is remembered as
        # seen either way.
        local __ccs_code key=$__ccs_pin_name:$__ccs_pin_file reported=
        if [[ -n ${__ccs_switching-} || $'\n'${__ccs_pins_reported-} == *$'\n'"$key"$'\n'* ]]; then
            reported=--pin-reported
        fi
        if __ccs_code=$(CCS_AUTO_QUIET=${__ccs_switching:-${CCS_AUTO_QUIET-}} command ccs use \
            --shell "${ZSH_VERSION+zsh}${BASH_VERSION+bash}" --pinned-by "$__ccs_pin_file" \
            ${reported:+"$reported"} -- "$__ccs_pin_name"); then
            eval "$__ccs_code"
        elif [[ -z $reported ]]; then
            __ccs_pins_reported=${__ccs_pins_reported-}$key$'\n'
        fi
    else
        # %q: a cloned directory's name must not send escape sequences to the terminal.
        printf 'ccs: ignoring %q: it does not hold a profile name\n' "$__ccs_pin_file" >&2
    fi
    return 0
}
