# The kernel tier's machinery, sourced by tests/kernel/run and scripts/demo:
# build (and cache) the tier's kernel, make an initramfs, boot it under qemu, read the results.
# Everything big lives in the cache ($KPK_CACHE, default ~/.cache/kpk), never in the repository.

KPK_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KPK_CACHE="${KPK_CACHE:-$HOME/.cache/kpk}"
TIER_DIR="$KPK_REPO/tests/kernel"
TIER_CACHE="$KPK_CACHE/kernel-tier"
# Bump when the recipe below changes in a way that changes the built kernel.
TIER_RECIPE=1

# variant_series VARIANT: the kernel series (linux-source-X.Y) the variant's kernel is: base,
# debug-info and debian are 6.1; ibt (the tier's own kernel with IBT and call thunks) and
# debian-6.12 (Debian's linux-image-6.12.*+deb12) are 6.12.
variant_series() {
    case "$1" in
        ibt|debian-6.12) echo 6.12 ;;
        *) echo 6.1 ;;
    esac
}

# variant_guest_append VARIANT: what the variant's guest adds to the kernel command line. ibt:
# call depth tracking, which no CPU qemu emulates would choose, is forced on (retbleed=force makes
# the CPU count as affected, stuff picks the mitigation, which needs retpolines): the kernel then
# patches call thunks into itself and into every module it loads (the patch's .call_sites).
variant_guest_append() {
    case "$1" in
        ibt) echo "retbleed=force,stuff spectre_v2=retpoline" ;;
    esac
}

# variant_guest_expects VARIANT: a line the guest's serial log must hold (guest-init prints the
# mitigations as KPK-INFO lines), so that a variant never passes without what it is for.
variant_guest_expects() {
    case "$1" in
        ibt) echo "KPK-INFO retbleed: Mitigation: Stuffing" ;;
    esac
}

say() { echo "kernel tier: $*" >&2; }
die() { echo "kernel tier: $*" >&2; exit 1; }

# The source of a series: Debian's linux-source-SERIES, unpacked once per package version into
# $TIER_CACHE/src-VERSION/linux-source-SERIES (the package version names the series too).
kernel_source_version() { dpkg-query -W -f='${Version}' "linux-source-${1:?series}" 2>/dev/null; }

unpack_source() {
    local series="${1:?series}" version dir tarball
    version="$(kernel_source_version "$series")" || die "linux-source-$series is not installed (scripts/install-deps installs it)"
    dir="$TIER_CACHE/src-$version"
    if [ ! -f "$dir/.unpacked" ]; then
        tarball=$(ls /usr/src/linux-source-"$series".tar.* 2>/dev/null | head -1)
        [ -n "$tarball" ] || die "no /usr/src/linux-source-$series.tar.* (is linux-source-$series installed?)"
        say "unpacking $tarball into $dir"
        rm -rf "$dir.partial" && mkdir -p "$dir.partial"
        tar -xf "$tarball" -C "$dir.partial" || die "cannot unpack $tarball"
        rm -rf "$dir" && mv "$dir.partial" "$dir" && touch "$dir/.unpacked"
    fi
    echo "$dir/linux-source-$series"
}

# variant_fragments VARIANT: the config fragments of a tier variant, merged in this order on top
# of tinyconfig. Series 6.1: config.fragment, plus config.VARIANT.fragment for a variant other
# than base. Another series stands alone in config.VARIANT.fragment (6.12 renamed options
# config.fragment sets, and turns on IBT that config.fragment turns off).
variant_fragments() {
    local variant="${1:?variant}"
    if [ "$(variant_series "$variant")" = 6.1 ]; then
        echo "$TIER_DIR/config.fragment"
        [ "$variant" = base ] || echo "$TIER_DIR/config.$variant.fragment"
    else
        echo "$TIER_DIR/config.$variant.fragment"
    fi
}

# The build of one variant, keyed by what determines it: the series and its source version, the
# fragments, the compiler and this recipe.
kernel_key() {
    local variant="${1:?variant}" series
    series="$(variant_series "$variant")"
    {
        echo "recipe $TIER_RECIPE"
        echo "series $series"
        echo "source $(kernel_source_version "$series")"
        variant_fragments "$variant" | xargs cat
        gcc --version | head -1
        ld --version | head -1
    } | sha256sum | cut -c1-16
}

# build_kernel VARIANT: prints the build directory (O=) of the variant (base, debug-info, ibt),
# building it first from the source of its series when the cache lacks it.
build_kernel() {
    local variant="${1:?variant}" series src key out jobs frag
    series="$(variant_series "$variant")"
    src="$(unpack_source "$series")" || return 1
    key="$(kernel_key "$variant")"
    out="$TIER_CACHE/build-$variant-$key"
    if [ -f "$out/.built" ]; then
        say "kernel $variant: cached build $out"
        echo "$out"; return
    fi
    jobs="${KPK_JOBS:-$(nproc)}"
    mapfile -t frag < <(variant_fragments "$variant")
    rm -rf "$out" && mkdir -p "$out"
    say "kernel $variant: configuring linux-source-$series in $out (tinyconfig + ${frag[*]##*/})"
    make -s -C "$src" O="$out" tinyconfig >/dev/null 2>"$out/config.log" || die "make tinyconfig failed; see $out/config.log"
    (cd "$src" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "${frag[@]}") >>"$out/config.log" 2>&1 \
        || die "merging the config fragments failed; see $out/config.log"
    make -s -C "$src" O="$out" olddefconfig >>"$out/config.log" 2>&1 || die "make olddefconfig failed; see $out/config.log"
    check_config "$out/.config" "${frag[@]}"
    say "kernel $variant: building with $jobs jobs (about 10 minutes on 2 cores); log: $out/build.log"
    local start=$SECONDS
    if ! nice -n "${KPK_BUILD_NICE:-10}" make -C "$src" O="$out" -j"$jobs" all >"$out/build.log" 2>&1; then
        tail -20 "$out/build.log" >&2
        die "kernel build failed; see $out/build.log"
    fi
    say "kernel $variant: built in $((SECONDS - start)) s"
    echo "$((SECONDS - start))" > "$out/build-seconds"
    touch "$out/.built"
    echo "$out"
}

# Every option a fragment sets must be in the final .config: Kconfig drops what it cannot
# satisfy without a word, and a kernel quietly missing RETHUNK would test nothing.
check_config() {
    local config="$1" line name bad=0; shift
    for frag in "$@"; do
        while IFS= read -r line; do
            case "$line" in
                CONFIG_*=*) grep -qxF "$line" "$config" || { say "$frag: '$line' did not survive olddefconfig"; bad=1; } ;;
                "# CONFIG_"*" is not set")
                    name="${line#\# }"; name="${name%% *}"
                    if grep -q "^$name=" "$config"; then say "$frag: $name is set though the fragment unsets it"; bad=1; fi ;;
            esac
        done < "$frag"
    done
    [ "$bad" -eq 0 ] || die "the kernel config does not match the fragments"
}

# guest_kpk: prints the path of kpk published for the guest (self-contained, single file),
# publishing it again when kpk's sources are newer. The guest has no .NET: the binary carries
# the runtime, and make_initramfs adds the shared libraries ldd names.
guest_kpk() {
    local dir="$KPK_REPO/.build/kpk-guest" bin
    bin="$dir/kpk"
    # Stale by the rule ./kpk uses (scripts/kpk-changed-source: sources only, never bin/ or obj/).
    if [ ! -x "$bin" ] || [ -n "$("$KPK_REPO/scripts/kpk-changed-source" "$bin")" ]; then
        say "publishing kpk for the guest (self-contained single file) into $dir"
        rm -rf "$dir.partial"
        DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet publish "$KPK_REPO/src/Kpk.Cli/Kpk.Cli.csproj" -c Release -r linux-x64 \
            --self-contained -p:PublishSingleFile=true -p:InvariantGlobalization=true -p:EnableCompressionInSingleFile=true \
            -p:DebugType=none -o "$dir.partial" --nologo -v quiet >"$KPK_REPO/.build/kpk-guest.log" 2>&1 \
            || die "publishing kpk for the guest failed; see $KPK_REPO/.build/kpk-guest.log"
        rm -rf "$dir" && mv "$dir.partial" "$dir"
    fi
    echo "$bin"
}

# gen_init_cpio [SERIES]: the kernel's own initramfs writer, compiled once from the tier's source
# of the series (default 6.1; every variant, Debian's packaged kernels included, can use it: the
# cpio format is the same; it makes /dev/console without root).
gen_init_cpio() {
    local series="${1:-6.1}" bin src
    bin="$TIER_CACHE/gen_init_cpio-$series"
    if [ ! -x "$bin" ]; then
        src="$(unpack_source "$series")" || return 1
        gcc -O2 -o "$bin.partial" "$src/usr/gen_init_cpio.c" || die "cannot compile $src/usr/gen_init_cpio.c"
        mv "$bin.partial" "$bin"
    fi
    echo "$bin"
}

# make_initramfs OUT.cpio GUEST_SCRIPT [--with-kpk] [FILE...]: busybox, the guest helpers,
# the case's script as /case.sh and the files (modules, kpk tarballs) in /modules; with
# --with-kpk, kpk itself as /bin/kpk with the libraries it needs.
make_initramfs() {
    local out="$1" script="$2" list busybox kpk="" lib cpio; shift 2
    # The writer of the series being run (tests/kernel/run's $series), so that a run of 6.12
    # variants alone needs no 6.1 source.
    cpio="$(gen_init_cpio "${series:-6.1}")" || return 1
    if [ "${1:-}" = --with-kpk ]; then kpk="$(guest_kpk)" || return 1; shift; fi
    busybox=$(command -v busybox) || die "busybox is not installed (busybox-static)"
    list="$out.list"
    {
        echo "dir /dev 0755 0 0"
        echo "nod /dev/console 0600 0 0 c 5 1"
        echo "dir /bin 0755 0 0"
        echo "dir /proc 0755 0 0"
        echo "dir /sys 0755 0 0"
        echo "dir /tmp 1777 0 0"
        echo "dir /modules 0755 0 0"
        echo "file /bin/busybox $busybox 0755 0 0"
        echo "file /init $TIER_DIR/guest-init 0755 0 0"
        echo "file /guest.sh $TIER_DIR/guest.sh 0644 0 0"
        echo "file /case.sh $script 0644 0 0"
        for m in "$@"; do echo "file /modules/$(basename "$m") $m 0644 0 0"; done
        if [ -n "$kpk" ]; then
            echo "file /bin/kpk $kpk 0755 0 0"
            echo "dir /lib 0755 0 0"
            echo "dir /lib64 0755 0 0"
            echo "dir /lib/x86_64-linux-gnu 0755 0 0"
            for lib in $(ldd "$kpk" | grep -o '/lib[^ ]*'); do echo "file $lib $(readlink -f "$lib") 0755 0 0"; done
        fi
    } > "$list"
    "$cpio" "$list" > "$out" || die "gen_init_cpio failed on $list"
}

# boot KERNEL_IMAGE INITRAMFS LOG [TIMEOUT]: boots the kernel under qemu (no KVM: TCG), serial
# console to LOG, a second serial port (the guest's /dev/ttyS1) to $KPK_SERIAL2 when set, with
# $KPK_GUEST_APPEND added to the kernel's command line (before loglevel=4, which the cases'
# checks of /proc/cmdline expect last); the guest reboots when done and -no-reboot turns that
# into qemu's exit.
boot() {
    local image="$1" initrd="$2" log="$3" timeout="${4:-240}" second=()
    [ -z "${KPK_SERIAL2:-}" ] || second=(-serial "file:$KPK_SERIAL2")
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (qemu-system-x86)"
    timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
        -m "${KPK_GUEST_MEM:-256M}" -smp 2 -nographic -no-reboot -monitor none -serial stdio "${second[@]}" -display none \
        -kernel "$image" -initrd "$initrd" \
        -append "console=ttyS0 no_timer_check panic=-1 oops=panic ${KPK_GUEST_APPEND:+$KPK_GUEST_APPEND }loglevel=4" </dev/null >"$log" 2>&1
    local rc=$?
    [ $rc -ne 124 ] || echo "KPK-FAIL the guest did not finish within $timeout s (timeout)" >>"$log"
    return 0
}

# boot_to_init KERNEL_IMAGE INITRAMFS LOG [TIMEOUT]: boot, and boot once more when the kernel died
# before the initramfs's init ran (so before anything of the case or demo did): seen, rarely, as
# an int3 oops in the kernel's own text patching at boot under qemu's multi-threaded TCG. The first
# console stays as LOG-1 (serial.log-1); boot_retried is 1 after a second boot, else 0.
boot_retried=0
boot_to_init() {
    boot_retried=0
    boot "$@"
    if ! grep -q 'KPK-BOOTED' "$3"; then
        mv "$3" "$3-1"
        boot "$@"
        boot_retried=1
    fi
}

# debian_release SERIES: Debian's own kernel of that series (6.1, 6.12), the cloud-amd64 flavour
# whose version is the linux-source-SERIES version apt has (so source and binary always match):
# linux-image-6.1.0-N-cloud-amd64, linux-image-6.12.N+deb12-cloud-amd64. Prints RELEASE.
debian_release() {
    local series="$1" version pkg pattern
    version="$(apt-cache madison "linux-source-$series" | awk -F'|' 'NR==1 {gsub(/ /, "", $2); print $2}')"
    [ -n "$version" ] || die "apt knows no linux-source-$series (apt-get update?)"
    pattern="^linux-image-${series//./\\.}\\.[0-9]+[-+][0-9a-z.+-]*cloud-amd64\$"
    for pkg in $(apt-cache pkgnames "linux-image-$series." | grep -E "$pattern" | sort -rV); do
        if apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | grep -qxF "$version"; then
            echo "${pkg#linux-image-}"; return
        fi
    done
    die "no linux-image-$series.*-cloud-amd64 at linux-source-$series's version $version"
}

# debian_image RELEASE: the unpacked image package kpk create fetched (boot/vmlinuz-RELEASE, lib/modules).
debian_image() {
    local release="$1" dir
    if [ -f "/boot/vmlinuz-$release" ] && [ -d "/lib/modules/$release/kernel" ]; then echo /; return; fi
    dir=$(ls -d "$KPK_CACHE/debian/${release}_"*/image 2>/dev/null | tail -1)
    [ -n "$dir" ] && [ -f "$dir/boot/vmlinuz-$release" ] || die "no unpacked linux-image-$release in $KPK_CACHE/debian (kpk create --kernel fetches it)"
    echo "$dir"
}
