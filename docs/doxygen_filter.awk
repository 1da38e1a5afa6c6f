# Doxygen input filter for Gatehouse's public headers (docs/Doxyfile.in,
# FILTER_PATTERNS). The headers document their declarations with plain `//`
# comments, and Doxygen reads only `///`, `//!` and `/** */`. This filter
# rewrites each header as Doxygen reads it; the files themselves are not
# touched:
#   - the comment block at the top of a file documents the file (\file);
#   - a block of `//` lines directly above a declaration, at namespace or
#     class scope, becomes a Doxygen block (comments inside function bodies,
#     and blocks followed by a blank line, `#`, `}` or an access specifier,
#     stay plain);
#   - the file's comment, when it opens with "Name: ...", also documents the
#     class Name if no comment of its own does (Executor, Database, ...);
#   - a comment after a member or an enumerator (`int x;  // ...`) becomes
#     `///<`;
#   - lines indented inside a comment (examples, tables) become \verbatim, and
#     Doxygen's special characters in the other lines are escaped (outside
#     `code spans`), so `<addr>` or `@receiver` stay text.
# For the guide's Markdown pages it only keeps `http::` from being read as a
# URL (see the markdown rule below).
# Usage (as Doxygen calls it): awk -f doxygen_filter.awk FILE. POSIX awk.

# Doxygen's command and markup characters escaped, except inside `...` spans.
function escape_text(s,    out, parts, n, i, seg) {
  n = split(s, parts, "`")
  out = ""
  for (i = 1; i <= n; i++) {
    seg = parts[i]
    if (i % 2 == 1) {
      gsub(/\\/, "\\\\", seg)
      gsub(/@/, "\\@", seg)
      gsub(/&/, "\\&", seg)
      gsub(/</, "\\<", seg)
      gsub(/>/, "\\>", seg)
      gsub(/%/, "\\%", seg)
      gsub(/>::/, ">\\::", seg)  # "Signal<T>::x" is text, not a link request
    }
    gsub(/http::/, "%http::", seg)  # Doxygen takes "http:" for a URL; % keeps it text
    out = out seg
    if (i < n) out = out "`"
  }
  return out
}

# The position of the first `//` outside string and character literals, or 0.
function comment_start(s,    i, c, quote, n) {
  n = length(s)
  quote = ""
  for (i = 1; i < n; i++) {
    c = substr(s, i, 1)
    if (quote != "") {
      if (c == "\\") i++
      else if (c == quote) quote = ""
    } else if (c == "\"" || c == "'") {
      quote = c
    } else if (c == "/" && substr(s, i + 1, 1) == "/") {
      return i
    }
  }
  return 0
}

# Counts braces outside literals and comments, updating the scope stack:
# a brace opened on a line that starts a namespace, class, struct, union or
# enum (or after such a head) is a scope; any other is a body.
function track_braces(code,    i, c, quote, n, kind) {
  kind = (code ~ /^[ \t]*(template[ \t]*<.*>[ \t]*)?(namespace|class|struct|union|enum)([ \t]|$)/ || pending_head) ? "scope" : "body"
  n = length(code)
  quote = ""
  for (i = 1; i <= n; i++) {
    c = substr(code, i, 1)
    if (quote != "") {
      if (c == "\\") i++
      else if (c == quote) quote = ""
    } else if (c == "\"" || c == "'") {
      quote = c
    } else if (c == "{") {
      depth++
      stack[depth] = kind
      kind = "body"  # a second brace on the line: an initialiser or a body
      pending_head = 0
    } else if (c == "}") {
      if (depth > 0) depth--
    }
  }
  if (code ~ /^[ \t]*(template[ \t]*<.*>[ \t]*)?(class|struct|union|enum)([ \t]|$)/ && code !~ /[;{]/)
    pending_head = 1
}

function at_declaration_scope(    i) {
  for (i = 1; i <= depth; i++)
    if (stack[i] != "scope") return 0
  return 1
}

# A file comment that opens "Name: ..." (or "Name<...>: ...") describes the
# class Name, as the headers' convention goes: remembers Name and the comment's
# first paragraph, for that class's declaration.
function file_subject_of(    first, i, text) {
  subject = ""
  subject_doc = ""
  first = buf[1]
  sub(/^[ \t]*\/\/ ?/, "", first)
  if (!match(first, /^[A-Z][A-Za-z0-9_]*(<[^>]*>)?:/)) return
  subject = substr(first, 1, RLENGTH - 1)
  sub(/<.*/, "", subject)
  for (i = 1; i <= nbuf; i++) {
    text = buf[i]
    sub(/^[ \t]*\/\//, "", text)
    if (text ~ /^[ \t]*$/ || text ~ /^   *[^ ]/) break
    sub(/^ /, "", text)
    subject_doc = subject_doc (i > 1 ? " " : "") escape_text(text)
  }
}

# Emits the buffered comment block: as it was ("plain"), or as one Doxygen
# block (`mode` "doc", or "file" for the file's own comment) written as
# /** ... */ on the same lines, so Doxygen's line numbers are the header's.
# (A block of `///` lines would do, but Doxygen 1.9 misreads one whose
# \verbatim part holds a `//` after an earlier \verbatim part.)
function flush(mode,    i, line, indent, text, out, verbatim, last) {
  if (nbuf == 0) return
  if (mode == "plain") {
    for (i = 1; i <= nbuf; i++) print buf[i]
    nbuf = 0
    return
  }
  if (mode == "file") file_subject_of()
  verbatim = 0
  for (i = 1; i <= nbuf; i++) {
    line = buf[i]
    match(line, /^[ \t]*\/\//)
    indent = substr(line, 1, RLENGTH - 2)
    text = substr(line, RLENGTH + 1)
    if (text ~ /^   *[^ ]/) {  # indented: an example or a table, kept as written
      if (!verbatim) {
        if (i > 1) out[i - 1] = out[i - 1] " \\verbatim"
        else text = " \\verbatim" text
        verbatim = 1
      }
    } else {
      if (verbatim) { out[i - 1] = out[i - 1] " \\endverbatim"; verbatim = 0 }
      text = escape_text(text)
    }
    out[i] = indent (i == 1 ? "/**" : "  ") text
  }
  last = out[nbuf]
  if (verbatim) last = last " \\endverbatim"
  if (mode == "file") last = last " \\file"
  out[nbuf] = last " */"
  for (i = 1; i <= nbuf; i++) print out[i]
  nbuf = 0
}

BEGIN { nbuf = 0; depth = 0; seen_code = 0; pending_head = 0; subject = ""; after_template = 0; markdown = -1 }

# The guide's Markdown pages (docs/guide/*.md): only "http::" outside fenced
# code needs a % in front, or Doxygen links it as a URL.
markdown == -1 { markdown = FILENAME ~ /\.md$/ }
markdown {
  if ($0 ~ /^[ \t]*```/) fence = !fence
  else if (!fence) gsub(/http::/, "%http::")
  print
  next
}

# A whole-line comment: held until the next line decides what it documents.
/^[ \t]*\/\// {
  buf[++nbuf] = $0
  next
}

{
  line = $0
  documented = 0
  if (nbuf > 0) {
    if (!seen_code) flush("file")
    else if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*(#|})/ || line ~ /^[ \t]*(public|private|protected)[ \t]*:/ ||
             !at_declaration_scope())
      flush("plain")
    else {
      flush("doc")
      documented = 1
    }
  }
  if (line ~ /^[ \t]*template[ \t]*</) {
    after_template = documented
  } else {
    # The class the file's comment is about, when nothing above documents it.
    if (subject != "" && !documented && !after_template && at_declaration_scope() && line !~ /;[ \t]*$/ &&
        match(line, "^[ \t]*(class|struct)[ \t]+(\\[\\[[a-z_]+\\]\\][ \t]+)?" subject "([ \t<{]|$)")) {
      line = "/** " subject_doc " */ " line
      subject = ""
    }
    after_template = 0
  }
  if (line !~ /^[ \t]*$/) seen_code = 1

  at = comment_start($0)
  code = at > 0 ? substr($0, 1, at - 1) : $0
  # A member's or an enumerator's own comment, at declaration scope.
  if (at > 0 && at_declaration_scope() && code ~ /[;,][ \t]*$/) {
    note = substr($0, at + 2)
    sub(/^[ \t]*/, "", note)
    line = substr(line, 1, length(line) - length($0) + at - 1) "///< " escape_text(note)
  }
  track_braces(code)
  print line
}

END { flush(seen_code ? "plain" : "file") }
