#!/bin/sh
# fakebuild.sh SRCTREE OBJTREE M GOAL: what the fake kbuild does for one goal.
set -e
src="$1" obj="$2" m="$3" goal="$4"
cc="${CC:-gcc}"
flags="-O2 -pg -mfentry -mrecord-mcount -fno-PIE -mcmodel=kernel -mno-red-zone -fno-asynchronous-unwind-tables -fno-stack-protector -fno-common -nostdinc -I$src/include"

compile() {  # compile REL.c into OBJ/REL.o with a .cmd record like fixdep's
    rel="$1" extra="$2"
    out="$obj/$rel.o"; dir=$(dirname "$out"); base=$(basename "$rel")
    mkdir -p "$dir"
    cmd="$cc $flags $KCFLAGS $extra -MD -MF $dir/.$base.o.d -c -o $out $src/$rel.c"
    echo "  $cmd"
    $cmd
    {
        echo "cmd_$rel.o := $cmd"
        echo
        echo "source_$rel.o := $src/$rel.c"
        echo
        echo "deps_$rel.o := \\"
        sed -e '1s/^[^:]*://' -e 's/\\$//' "$dir/.$base.o.d" | tr ' ' '\n' | grep -v '^$' | sed 's/^/  /; s/$/ \\/'
        echo
    } > "$dir/.$base.o.cmd"
    rm -f "$dir/.$base.o.d"
}

case "$goal" in
modules_prepare)
    test -f "$obj/.config"
    echo "include $src/Makefile" > "$obj/Makefile" ;;
*/)
    # make -n DIR/: print, as kbuild does, the compile command of every object of DIR that
    # this build makes, and each module's object list (runs under -n: the rule starts with +).
    dir="${goal%/}"
    for rel in $(cat "$src/vmlinux.objs"); do
        case "$rel" in "$dir"/*) echo "  $cc $flags \$KCFLAGS -c -o $rel.o $src/$rel.c";; esac
    done
    while read -r name rels; do
        [ -n "$name" ] || continue
        list=""; mdir=$(dirname "${rels%% *}")
        for rel in $rels; do
            case "$rel" in "$dir"/*) echo "  $cc $flags -DMODULE -c -o $rel.o $src/$rel.c";; esac
            list="$list $(basename "$rel").o"
        done
        case "$mdir/" in "$dir"/*) printf "printf '%%s\\\\n' %s | awk '!x[\$0]++ { print(\"%s/\"\$0) }' > %s/%s.mod\n" "$list" "$mdir" "$mdir" "$name";; esac
    done < "$src/modules.list" ;;
olddefconfig)
    test -f "$obj/.config"
    # The build directory forwards to the source, as kbuild's O= Makefile does.
    echo "include $src/Makefile" > "$obj/Makefile" ;;
vmlinux)
    test -f "$obj/.config"
    echo "include $src/Makefile" > "$obj/Makefile"
    objs=""
    for rel in $(cat "$src/vmlinux.objs"); do compile "$rel" ""; objs="$objs $obj/$rel.o"; done
    ld -r -o "$obj/vmlinux" $objs ;;
modules)
    if [ -n "$m" ]; then
        # The patch module: the hook is kept for the tests to read; the shipped objects make the "module".
        name=$(sed -n 's/^obj-m := \(.*\)\.o$/\1/p' "$m/Makefile")
        test -f "$m/kpk-hook.c"
        for s in "$m"/*.o_shipped; do cp "$s" "${s%_shipped}"; done
        printf 'livepatch=Y\0license=GPL\0' > "$m/modinfo.bin"
        printf 'int kpk_fake_hook;\n' | $cc -x c -c -o "$m/hook.o" -
        objcopy --add-section .modinfo="$m/modinfo.bin" "$m/hook.o"
        ld -r -o "$m/$name.ko" "$m/hook.o" $(ls "$m"/*.o | grep -v '/hook.o$')
    else
        while read -r name rels; do
            [ -n "$name" ] || continue
            objs=""; list=""
            for rel in $rels; do compile "$rel" "-DMODULE"; objs="$objs $obj/$rel.o"; list="$list $rel.o"; done
            dir=$(dirname "$obj/${rels%% *}")
            echo "$list" > "$dir/$name.mod"
            ld -r -o "$dir/$name.ko" $objs
        done < "$src/modules.list"
    fi ;;
*.s)
    base="${goal%.s}"
    echo "  $cc -nostdinc -I$src/include -S -o $m/$base.s $m/$base.c"
    $cc -nostdinc -I"$src/include" -S -o "$m/$base.s" "$m/$base.c" ;;
*.o)
    rel="${goal%.o}"
    extra=""
    grep -q " $rel\( \|$\)" "$src/modules.list" && extra="-DMODULE"
    compile "$rel" "$extra" ;;
*)
    echo "fakebuild: unknown goal $goal" >&2; exit 2 ;;
esac
