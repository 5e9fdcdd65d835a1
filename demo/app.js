/*
 * The recsys demo page: one viewer (a sample user or a new visitor), the
 * titles watched in this session, and rows of recommendations from the
 * server that serves this page (/recommend, /items, /recsys-status).
 *
 * A click on a title adds it to the session: sent as history= (most
 * recent last), or as a "play" to POST /event ({"user","item","type"})
 * when demo-config.json says the server has a live events zone ("events":
 * true) and the viewer is a known user; the zone then adds it to the
 * viewer's history itself.
 * Settings that a server may not know yet are sent only when they are not
 * their default (diversity).  The body's data-state is "ready" when every
 * row shows the answers of the latest settings.
 */

'use strict';

(function () {
    /* the episodes of the catalogue (the "Continue watching" row) */
    var SERIES_FILTER = 'episode>=1';
    /* the newest clicks sent as history= (recsys_max_list's default: the
     * server keeps no more of them) */
    var HISTORY_MAX = 100;

    var state = {
        config: { events: false, users: [] },
        meta: null,
        history: [],
        titles: {},
        series: false,
        generation: 0,
        rows: {}
    };

    function $(id) {
        return document.getElementById(id);
    }

    function getJSON(url, options) {
        return fetch(url, options).then(function (res) {
            return res.json().then(function (body) {
                if (!res.ok) {
                    throw new Error(url + ': ' + (body.message || res.status));
                }
                return body;
            });
        });
    }

    function remember(items) {
        items.forEach(function (it) {
            state.titles[it.id] = it.title || it.id;
        });
    }

    function setting(id) {
        return $(id).value;
    }

    /* The arguments every row shares: n, genre, diversity when not 0. */
    function common(p) {
        p.set('n', setting('n'));
        if (setting('genre') !== '') {
            p.set('genre', setting('genre'));
        }
        if (Number(setting('diversity')) !== 0) {
            p.set('diversity', setting('diversity'));
        }
        return p;
    }

    /* The viewer and the session, as /recommend takes them. */
    function viewer(p) {
        var user = setting('viewer');

        if (user !== '') {
            p.set('user', user);
        }
        if (state.history.length > 0 && !(state.config.events && user !== '')) {
            p.set('history', state.history.slice(-HISTORY_MAX).join(','));
        }
        return p;
    }

    function forYouURL() {
        var p = viewer(common(new URLSearchParams()));

        if (setting('algo') !== 'hybrid') {
            p.set('algo', setting('algo'));
        }
        p.set('explain', '1');
        return '/recommend?' + p.toString();
    }

    function text(tag, cls, content) {
        var e = document.createElement(tag);

        if (cls) {
            e.className = cls;
        }
        e.textContent = content;
        return e;
    }

    /* The sources' shares as a bar, with the same figures as text. */
    function sourcesBar(sources) {
        var names = Object.keys(sources || {}), total = 0, wrap, bar, legend;

        names.forEach(function (s) { total += Math.max(sources[s], 0); });
        wrap = text('div', 'sources', '');
        bar = text('div', 'bar', '');
        bar.setAttribute('aria-hidden', 'true');
        legend = [];

        names.forEach(function (s, k) {
            var share = total > 0 ? Math.max(sources[s], 0) / total : 0,
                seg = text('span', 'seg seg' + (k % 6), '');

            seg.style.width = (share * 100).toFixed(1) + '%';
            seg.title = s;
            bar.appendChild(seg);
            legend.push(s + ' ' + Math.round(share * 100) + '%');
        });

        wrap.appendChild(bar);
        wrap.appendChild(text('p', 'legend', 'Sources: ' + legend.join(', ')));
        return wrap;
    }

    function names(ids) {
        return ids.map(function (id) { return state.titles[id] || id; });
    }

    /* Titles of ids this page has not shown yet, from /items?id=. */
    function learnTitles(ids) {
        var missing = ids.filter(function (id) { return !state.titles[id]; });

        if (missing.length === 0) {
            return Promise.resolve();
        }
        return getJSON('/items?id=' + encodeURIComponent(missing.join(',')))
            .then(function (d) { remember(d.items); });
    }

    function explanation(item, panel) {
        var ids = (item.because || []).slice(), rule = item.rule;

        if (rule) {
            ids = ids.concat(rule['if'] || [], [rule.then]);
        }

        return learnTitles(ids).then(function () {
            panel.textContent = '';
            if (item.sources) {
                panel.appendChild(sourcesBar(item.sources));
            }
            if (item.because && item.because.length > 0) {
                panel.appendChild(text('p', 'because',
                    'Because you watched: ' + names(item.because).join(', ')));
            }
            if (rule) {
                panel.appendChild(text('p', 'rule',
                    'Rule: watched ' + names(rule['if'] || []).join(' + ')
                    + ' \u2192 ' + names([rule.then])[0]
                    + ' (support ' + rule.support
                    + ', confidence ' + rule.confidence
                    + ', lift ' + rule.lift + ')'));
            }
            if (!item.sources && !rule) {
                panel.appendChild(text('p', '', 'No explanation for this row.'));
            }
        });
    }

    function card(item, row, k) {
        var li = text('li', 'card', ''), pick, why, panel, panelId;

        li.dataset.id = item.id;
        pick = text('button', 'pick', item.title || item.id);
        pick.type = 'button';
        pick.setAttribute('aria-label', 'Watch ' + (item.title || item.id));
        pick.addEventListener('click', function () { watch(item.id); });
        li.appendChild(pick);
        li.appendChild(text('p', 'genres', (item.genres || []).join(' \u00b7 ')));

        if (item.sources || item.rule) {
            panelId = 'why-' + row + '-' + k;
            why = text('button', 'why', 'Why?');
            why.type = 'button';
            why.setAttribute('aria-expanded', 'false');
            why.setAttribute('aria-controls', panelId);
            why.setAttribute('aria-label', 'Why ' + (item.title || item.id) + '?');
            panel = text('div', 'explain', '');
            panel.id = panelId;
            panel.hidden = true;
            why.addEventListener('click', function () {
                var open = why.getAttribute('aria-expanded') !== 'true';

                why.setAttribute('aria-expanded', String(open));
                if (!open) {
                    panel.hidden = true;
                    return;
                }
                panel.textContent = 'Loading\u2026';
                panel.hidden = false;
                explanation(item, panel).catch(showError);
            });
            li.appendChild(why);
            li.appendChild(panel);
        }
        return li;
    }

    function fill(row, items) {
        var ol = $('row-' + row);

        ol.textContent = '';
        items.forEach(function (it, k) { ol.appendChild(card(it, row, k)); });
        if (items.length === 0) {
            ol.appendChild(text('li', 'empty', 'Nothing to show.'));
        }
        state.rows[row] = items;
    }

    function showError(err) {
        $('announce').textContent = 'Error: ' + err.message;
        document.body.dataset.state = 'error';
    }

    function renderSession() {
        var ol = $('session-list');

        ol.textContent = '';
        state.history.forEach(function (id) {
            ol.appendChild(text('li', '', state.titles[id] || id));
        });
        $('session-empty').hidden = state.history.length > 0;
        $('session-clear').hidden = state.history.length === 0;
    }

    function refreshStatus() {
        return getJSON('/recsys-status').then(function (s) {
            var c = s.counters || {};

            $('status').textContent = 'status: ' + c.requests + ' requests, '
                + c.ok + ' ok, ' + c.bad_request + ' bad, '
                + c.fallback + ' fallbacks, ' + c.reloads + ' model loads';
        });
    }

    /* The "because you watched" anchor: the newest session title, else
     * the first title the "for you" row credits. */
    function anchor(forYou) {
        var k;

        if (state.history.length > 0) {
            return state.history[state.history.length - 1];
        }
        for (k = 0; k < forYou.length; k++) {
            if (forYou[k].because && forYou[k].because.length > 0) {
                return forYou[k].because[0];
            }
        }
        return null;
    }

    function refresh() {
        var gen = ++state.generation, q = $('q').value.trim(), jobs;

        document.body.dataset.state = 'loading';
        renderSession();

        jobs = [
            getJSON(forYouURL()).then(function (d) {
                var a;

                if (gen !== state.generation) {
                    return null;
                }
                remember(d.items);
                fill('foryou', d.items);
                $('foryou-note').textContent = d.fallback
                    ? 'Not enough to go on yet: showing ' + d.fallback + ' titles.'
                    : '';
                a = anchor(d.items);
                if (a === null) {
                    $('sec-because').hidden = true;
                    return null;
                }
                return Promise.all([
                    learnTitles([a]),
                    getJSON('/recommend?' + common(new URLSearchParams({
                        item: a, explain: '1' })).toString())
                ]).then(function (r) {
                    if (gen !== state.generation) {
                        return;
                    }
                    remember(r[1].items);
                    $('because-title').textContent = state.titles[a] || a;
                    fill('because', r[1].items);
                    $('sec-because').hidden = false;
                });
            }),
            getJSON('/recommend?' + common(new URLSearchParams({
                algo: 'popular' })).toString()).then(function (d) {
                if (gen === state.generation) {
                    remember(d.items);
                    fill('popular', d.items);
                }
            })
        ];

        if (state.series) {
            /* one slot per series: the next unseen episode of a series in
               progress, else the series' first, ranked by the blend */
            jobs.push(getJSON('/recommend?' + viewer(common(new URLSearchParams({
                filter: SERIES_FILTER }))).toString()).then(function (d) {
                if (gen === state.generation) {
                    remember(d.items);
                    fill('continue', d.items);
                    $('sec-continue').hidden = d.items.length === 0;
                }
            }, function () {
                $('sec-continue').hidden = true;
            }));
        }

        if (q !== '') {
            jobs.push(getJSON('/items?' + common(new URLSearchParams({ q: q }))
                .toString()).then(function (d) {
                if (gen === state.generation) {
                    remember(d.items);
                    $('search-q').textContent = q;
                    fill('search', d.items);
                    $('sec-search').hidden = false;
                }
            }));
        } else {
            $('sec-search').hidden = true;
        }

        return Promise.all(jobs).then(function () {
            return refreshStatus();
        }).then(function () {
            if (gen === state.generation) {
                renderSession();
                document.body.dataset.state = 'ready';
                $('announce').textContent = 'Recommendations updated.';
            }
        }).catch(showError);
    }

    function watch(id) {
        var user = setting('viewer');

        state.history = state.history.filter(function (h) { return h !== id; });
        state.history.push(id);
        document.body.dataset.state = 'loading';

        if (state.config.events && user !== '') {
            /* 204 without a body: fetch's own promise, not getJSON */
            return fetch('/event', {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ user: user, item: id, type: 'play' })
            }).then(function (res) {
                if (!res.ok) {
                    throw new Error('/event: ' + res.status);
                }
                return refresh();
            }).catch(showError);
        }
        return refresh();
    }

    /* A start from the address: #user=U&history=A,B (links, screenshots). */
    function fromHash() {
        var p = new URLSearchParams(location.hash.slice(1)),
            user = p.get('user'), history = p.get('history');

        if (user !== null && state.config.users.indexOf(user) < 0) {
            options($('viewer'), [user]);
        }
        if (user !== null) {
            $('viewer').value = user;
        }
        if (history) {
            state.history = history.split(',');
        }
    }

    function options(select, values) {
        values.forEach(function (v) {
            var o = document.createElement('option');

            o.value = v;
            o.textContent = v;
            select.appendChild(o);
        });
    }

    function init() {
        var timer = null;

        Promise.all([
            getJSON('/demo-config.json').catch(function () { return {}; }),
            getJSON('/items?meta=1'),
            getJSON('/items?n=100'),
            /* episodes in the catalogue: a filter on the episode number
               answers 400 (unknown field) for a model without series */
            getJSON('/recommend?algo=popular&n=1&strict=1&filter='
                    + encodeURIComponent(SERIES_FILTER)).catch(function () {
                return { items: [] };
            })
        ]).then(function (r) {
            state.series = r[3].items.length > 0;
            state.config.events = !!r[0].events;
            state.config.users = r[0].users || [];
            state.meta = r[1];
            remember(r[2].items);
            $('model-id').textContent = r[1].model;
            $('model-size').textContent = '(' + r[1].items + ' titles, '
                + r[1].users + ' viewers, ' + r[1].interactions + ' events)';
            options($('viewer'), state.config.users);
            options($('algo'), r[1].algos.filter(function (a) {
                return a !== 'hybrid';
            }));
            options($('genre'), r[1].genres);

            ['viewer', 'algo', 'genre', 'n'].forEach(function (id) {
                $(id).addEventListener('change', function () {
                    if (id === 'viewer') {
                        state.history = [];
                    }
                    refresh();
                });
            });
            $('diversity').addEventListener('change', refresh);
            $('diversity').addEventListener('input', function () {
                $('diversity-value').textContent = setting('diversity');
            });
            $('q').addEventListener('input', function () {
                clearTimeout(timer);
                timer = setTimeout(refresh, 250);
            });
            $('controls').addEventListener('submit', function (e) {
                e.preventDefault();
                refresh();
            });
            $('session-clear').addEventListener('click', function () {
                state.history = [];
                refresh();
            });
            fromHash();
            return refresh().then(function () {
                var why = document.querySelector('#row-foryou .why');

                /* #...&why=1: the first explanation open (screenshots) */
                if (why && /(^|&)why=1(&|$)/.test(location.hash.slice(1))) {
                    why.click();
                }
            });
        }).catch(showError);
    }

    init();
}());
