#!/bin/sh
# Stages the files of the container image in a directory.  This is the one
# list of what the image holds: Dockerfile.distroless runs it in its build
# stage and copies the result onto the distroless base, and
# regress/e2e/container.sh runs it to build the same tree and run dotproxy
# chrooted into it.
#
# usage: stage.sh [-b] DIR	(from the top of a built source tree)
#
# Without -b, what the Dockerfile copies:
#   /usr/local/sbin/dotproxy, /usr/local/sbin/dotproxy-probe
#   every shared library `ldd` names for them, in /usr/lib/MULTIARCH,
#     except the C library and the dynamic loader (see BASE_LIBS)
#   /etc/ssl/certs/ca-certificates.crt, the CA bundle of the build machine
# With -b, also what gcr.io/distroless/base-debian12:nonroot provides and
# dotproxy uses, for a test that has no base image to put the tree on:
#   the C library and the dynamic loader `ldd` names (BASE_LIBS), the
#     loader at the path the binaries ask for
#   /etc/passwd and /etc/group with the base's root, nobody and nonroot
#     (65532) entries
# No shell, no package manager, no other program: the test checks that.
set -e

BASE_LIBS="libc.so.* ld-linux*.so.*"
BINS="dotproxy dotproxy-probe"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

base=0
if [ "$1" = "-b" ]; then
	base=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [-b] DIR" >&2; exit 2; }
dir=$1

# inbase FILE: whether the base image provides the library FILE.
inbase()
{
	for p in $BASE_LIBS; do
		case "${1##*/}" in
		$p) return 0 ;;
		esac
	done
	return 1
}

multiarch=$(gcc -print-multiarch 2>/dev/null || true)
[ -n "$multiarch" ] || multiarch=$(ldd /bin/sh |
    sed -n 's|.*=> /[a-z/]*lib/\([^/]*\)/libc\.so.*|\1|p')
libdir=$dir/usr/lib/$multiarch
install -d "$dir/usr/local/sbin" "$dir/etc/ssl/certs" "$libdir"

for b in $BINS; do
	[ -x "$b" ] || { echo "$0: $b is not built" >&2; exit 1; }
	install -m 0755 "$b" "$dir/usr/local/sbin/$b"
done

# Libraries by the name the binaries ask for (cp -L follows the
# symbolic link to the versioned file); the loader is the line without
# "=>" and must sit at exactly that path.
ldd $BINS | awk 'NF > 1 && $1 ~ /^\// { print "interp", $1; next }
    $2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
while read -r a b; do
	if [ "$a" = interp ]; then
		[ $base -eq 1 ] || continue
		install -d "$dir${b%/*}"
		cp -L "$b" "$dir$b"
	elif ! inbase "$a" || [ $base -eq 1 ]; then
		cp -L "$a" "$libdir/"
	fi
done

cp -L "$CA_BUNDLE" "$dir$CA_BUNDLE"
chmod 0644 "$dir$CA_BUNDLE"

if [ $base -eq 1 ]; then
	cat >"$dir/etc/passwd" <<-EOF
	root:x:0:0:root:/root:/sbin/nologin
	nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
	nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
	EOF
	cat >"$dir/etc/group" <<-EOF
	root:x:0:
	nobody:x:65534:
	tty:x:5:
	staff:x:50:
	nonroot:x:65532:
	EOF
	chmod 0644 "$dir/etc/passwd" "$dir/etc/group"
fi
