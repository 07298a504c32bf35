# Sourced by install.sh and test.sh: apt_install PACKAGE... installs Debian packages without
# questions (through sudo unless root); nothing at all when given none.
apt_install() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$@"
}
