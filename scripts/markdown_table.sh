# Sourced by the scripts that measure something and print it as a Markdown table
# (hostile_inputs.sh, write_failures.sh):
#   print_table NAME FILE HEADER ROW...   the table (HEADER: "a | b | c") to standard output, or,
#                                         with FILE, in place of what stands between the
#                                         <!-- NAME:begin --> and <!-- NAME:end --> markers in FILE
print_table() {
  local name=$1 file=$2 header=$3
  shift 3
  local columns
  columns=$(awk -F'|' '{ print NF }' <<<"$header")
  local table
  table=$(echo "| $header |"
          printf '|%s\n' "$(for ((k = 0; k < columns; ++k)); do printf -- '---|'; done)"
          printf '%s\n' "$@")
  if [ -z "$file" ]; then
    echo "$table"
    return
  fi
  local doc
  doc=$(TABLE="$table" awk -v name="$name" '$0 == "<!-- " name ":end -->" { print ENVIRON["TABLE"]; skip = 0 }
                                            !skip { print } $0 == "<!-- " name ":begin -->" { skip = 1; found = 1 }
                                            END { exit !found }' "$file") ||
    { echo "$name: no <!-- $name:begin --> marker in $file" >&2; return 1; }
  printf '%s\n' "$doc" >"$file"
}
