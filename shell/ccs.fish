# ccs hook for fish. Install with this line in ~/.config/fish/config.fish:
#     ccs init fish | source
# It makes `ccs use NAME` and `ccs off` switch this shell, gives `ccs_prompt`, and leaves every
# other command to the binary. Safe to source more than once.

function ccs --description 'Use several Claude Code accounts, one per terminal'
    switch "$argv[1]"
        case use off
            if contains -- -h $argv; or contains -- --help $argv
                command ccs $argv
                return
            end
            # Evaluate only what a successful run printed: a failed `use` changes nothing.
            set -l code (command ccs $argv[1] --shell fish $argv[2..-1])
            or return
            printf '%s\n' $code | source
        case '*'
            # CCS_HOOK tells `ccs doctor` that the hook is installed here.
            CCS_HOOK=fish command ccs $argv
    end
end

# Prints the active profile. Functions run inside fish itself: `(ccs_prompt)` in fish_prompt
# starts no process.
function ccs_prompt --description 'Print the active ccs profile'
    set -q CCS_PROFILE[1]; and printf '%s' $CCS_PROFILE
    return 0
end

function __ccs_return --description 'Set $status for the next command'
    return $argv[1]
end

# Opt-in (`ccs init fish --prompt`): show `(work) ` before the prompt, like a Python venv, by
# wrapping the user's fish_prompt once. Only a valid profile name is shown.
function __ccs_enable_prompt_prefix
    functions -q __ccs_user_fish_prompt; and return
    functions -q fish_prompt; and functions -c fish_prompt __ccs_user_fish_prompt
    function fish_prompt
        set -l last_status $status
        if set -q CCS_PROFILE[1]; and string match -qr '^[A-Za-z0-9._-]+$' -- $CCS_PROFILE
            printf '(%s) ' $CCS_PROFILE
        end
        # The user's prompt may show the last command's status: hand it on.
        if functions -q __ccs_user_fish_prompt
            __ccs_return $last_status
            __ccs_user_fish_prompt
        end
    end
end
