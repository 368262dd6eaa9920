package cli

import (
	"fmt"
	"io"
	"strings"
)

// commandFlags lists the flags a command accepts, in help order, with
// the shared ones (--cli-input-json, paging, global options) last.
func commandFlags(c *command) []string {
	var out []string
	for _, p := range c.Params {
		if p.Hidden {
			continue
		}
		out = append(out, "--"+p.Flag)
		if p.isBool() {
			out = append(out, "--no-"+p.Flag)
		}
	}
	out = append(out, "--cli-input-json", "--generate-cli-skeleton")
	if c.Pager != nil {
		out = append(out, "--starting-token", "--page-size", "--max-items")
	}
	for _, g := range globalFlags {
		out = append(out, "--"+g.name)
	}
	return out
}

// valueChoices lists the words that may follow a flag, for completion:
// an enum's values, the output formats, skeleton kinds.
func valueChoices() map[string][]string {
	out := map[string][]string{
		"--output":                {"json", "text", "table"},
		"--generate-cli-skeleton": {"input", "output"},
		"--color":                 {"on", "off", "auto"},
	}
	for _, c := range commands() {
		for _, p := range c.Params {
			if len(p.Shape.Enum) > 0 {
				out["--"+p.Flag] = p.Shape.Enum
			}
		}
	}
	return out
}

// writeCompletion prints the completion script for shell, bash or zsh.
func writeCompletion(w io.Writer, shell string) error {
	switch shell {
	case "bash":
		io.WriteString(w, bashCompletion())
	case "zsh":
		io.WriteString(w, zshCompletion())
	default:
		return fmt.Errorf("unknown shell %q: choose bash or zsh", shell)
	}
	return nil
}

// valueFlags lists the global flags that take a value, joined by sep, so
// that the scripts skip their values when looking for the command.
func valueFlags(sep string) string {
	var out []string
	for _, g := range globalFlags {
		if g.arg != "" {
			out = append(out, "--"+g.name)
		}
	}
	return strings.Join(out, sep)
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.Name)
	}
	return names
}

// flagValueCases renders "--flag) words=...;;" arms for both shells.
func flagValueCases(arm func(flag string, words []string) string) string {
	ch := valueChoices()
	var flags []string
	for f := range ch {
		flags = append(flags, f)
	}
	sortStrings(flags)
	var b strings.Builder
	for _, f := range flags {
		b.WriteString(arm(f, ch[f]))
	}
	return b.String()
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString(`# bash completion for swf; load with: source <(swf completion bash)
_swf() {
    local cur prev cmd words i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            ` + valueFlags("|") + `) ((i++)) ;;
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    case "$prev" in
`)
	b.WriteString(flagValueCases(func(f string, words []string) string {
		return fmt.Sprintf("        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", f, strings.Join(words, " "))
	}))
	b.WriteString(`        --cli-input-json|--ca-bundle) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "`)
	b.WriteString(strings.Join(append(commandNames(), "help", "server", "version", "completion"), " "))
	b.WriteString(`" -- "$cur"))
        return
    fi
    case "$cmd" in
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "        %s) words=%q ;;\n", c.Name, strings.Join(commandFlags(c), " "))
	}
	b.WriteString(`        completion) words="bash zsh" ;;
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _swf swf
`)
	return b.String()
}

func zshCompletion() string {
	var b strings.Builder
	b.WriteString(`#compdef swf
# zsh completion for swf; load with: source <(swf completion zsh)
# or save as _swf in a directory of $fpath.
_swf() {
    local cmd="" skip=0 w
    local -a words_
    for w in "${(@)words[2,CURRENT-1]}"; do
        if (( skip )); then skip=0; continue; fi
        case "$w" in
            ` + valueFlags("|") + `) skip=1 ;;
            -*) ;;
            *) cmd="$w"; break ;;
        esac
    done
    case "${words[CURRENT-1]}" in
`)
	b.WriteString(flagValueCases(func(f string, words []string) string {
		return fmt.Sprintf("        %s) compadd -- %s; return ;;\n", f, strings.Join(words, " "))
	}))
	b.WriteString(`        --cli-input-json|--ca-bundle) _files; return ;;
    esac
    if [[ -z "$cmd" ]]; then
        compadd -- `)
	b.WriteString(strings.Join(append(commandNames(), "help", "server", "version", "completion"), " "))
	b.WriteString(`
        return
    fi
    case "$cmd" in
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "        %s) words_=(%s) ;;\n", c.Name, strings.Join(commandFlags(c), " "))
	}
	b.WriteString(`        completion) words_=(bash zsh) ;;
        *) words_=() ;;
    esac
    compadd -- "${words_[@]}"
}
if [[ "${funcstack[1]}" == "_swf" ]]; then
    _swf "$@"
else
    compdef _swf swf
fi
`)
	return b.String()
}
