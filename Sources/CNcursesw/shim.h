// ncursesw with the wide-character API. pkg-config's -D flags are dropped by SwiftPM, so the
// feature macros are set here; attribute and line-drawing macros Swift cannot import are
// re-exported as static inline functions.
#ifndef MESHTOP_CNCURSESW_SHIM_H
#define MESHTOP_CNCURSESW_SHIM_H
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <sys/ioctl.h>
#include <ncursesw/curses.h>

static inline attr_t mt_a_normal(void) { return A_NORMAL; }
static inline attr_t mt_a_bold(void) { return A_BOLD; }
static inline attr_t mt_a_dim(void) { return A_DIM; }
static inline attr_t mt_a_reverse(void) { return A_REVERSE; }
static inline attr_t mt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t mt_a_italic(void) { return A_ITALIC; }
static inline attr_t mt_a_standout(void) { return A_STANDOUT; }

static inline int mt_key_f(int n) { return KEY_F(n); }
static inline int mt_key_resize(void) { return KEY_RESIZE; }

// ncurses' globals, read through functions: Swift 6 refuses a reference to a C global `var`
// (shared mutable state), and these are only read on the thread that drives the screen.
static inline WINDOW *mt_stdscr(void) { return stdscr; }
static inline int mt_colors(void) { return COLORS; }
static inline int mt_color_pairs(void) { return COLOR_PAIRS; }

static inline int mt_getmaxy(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int mt_getmaxx(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }

// Writes one wide character with attributes and an extended colour pair at (y, x).
static inline int mt_put_wch(WINDOW *w, int y, int x, wchar_t ch, attr_t attrs, int pair) {
    cchar_t cell;
    wchar_t text[2] = { ch, 0 };
    if (setcchar(&cell, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(w, y, x, &cell);
}

// Sets a terminal's size in cells (ioctl is variadic, which Swift cannot call): tests resize
// a pseudo-terminal with it.
static inline int mt_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = { rows, columns, 0, 0 };
    return ioctl(fd, TIOCSWINSZ, &size);
}

// Pseudo-terminals (tests draw on one): glibc declares these only under _XOPEN_SOURCE, which
// Swift's Glibc module is not built with.
extern int posix_openpt(int flags);
extern int grantpt(int fd);
extern int unlockpt(int fd);
extern char *ptsname(int fd);

static inline const cchar_t *mt_acs_hline(void) { return WACS_HLINE; }
static inline const cchar_t *mt_acs_vline(void) { return WACS_VLINE; }
#endif
