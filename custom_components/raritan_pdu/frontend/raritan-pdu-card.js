/**
 * Raritan PDU card: the outlets of one PDU unit as the PDU lays them out, with the unit's totals
 * and alarms at the top.
 *
 * Shipped with the raritan_pdu integration, which serves this module and loads it on every
 * frontend page: no resource to add. What to draw (the unit, its outlets in PDU order, the entity
 * ids of each) comes from the integration's websocket command `raritan_pdu/layout`; the states come
 * from `hass.states`, so the card follows the state machine live. The card never derives an entity
 * id or a name itself.
 *
 *   type: custom:raritan-pdu-card
 *   device: <device id of the unit>   the visual editor lists the units
 *   title: Rack A                     optional, default: the unit's name
 *   critical_outlets: [1, 4]          outlet numbers that ask before switching or power cycling
 *   critical_from_pdu: false          true: every outlet the PDU does not mark non-critical
 *                                     (its load-shedding setting) asks too
 *
 * Click (or Enter/Space on) an outlet to switch it; its menu (the ⋮ button, a right click or a
 * long press) has power cycle and the entity details. An outlet whose PDU account may not switch
 * it shows its on/off binary sensor instead, read-only.
 */

const CARD_TYPE = "raritan-pdu-card";
const EDITOR_TYPE = "raritan-pdu-card-editor";
const WS_LAYOUT = "raritan_pdu/layout";

// Material Design Icons (Apache 2.0), as SVG paths.
const ICONS = {
  more: "M12,16A2,2 0 0,1 14,18A2,2 0 0,1 12,20A2,2 0 0,1 10,18A2,2 0 0,1 12,16M12,10A2,2 0 0,1 14,12A2,2 0 0,1 12,14A2,2 0 0,1 10,12A2,2 0 0,1 12,10M12,4A2,2 0 0,1 14,6A2,2 0 0,1 12,8A2,2 0 0,1 10,6A2,2 0 0,1 12,4Z",
  lock: "M12,17A2,2 0 0,0 14,15C14,13.89 13.1,13 12,13A2,2 0 0,0 10,15A2,2 0 0,0 12,17M18,8A2,2 0 0,1 20,10V20A2,2 0 0,1 18,22H6A2,2 0 0,1 4,20V10C4,8.89 4.9,8 6,8H7V6A5,5 0 0,1 12,1A5,5 0 0,1 17,6V8H18M12,3A3,3 0 0,0 9,6V8H15V6A3,3 0 0,0 12,3Z",
  alert: "M13,14H11V10H13M13,18H11V16H13M1,21H23L12,2L1,21Z",
  check: "M21,7L9,19L3.5,13.5L4.91,12.09L9,16.17L19.59,5.59L21,7Z",
};

const UNAVAILABLE = "unavailable";
const UNKNOWN = "unknown";
const LONG_PRESS_MS = 500;

/** An element with attributes (`on*` functions become listeners) and children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "className") {
      el.className = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) {
      el.append(child instanceof Node ? child : String(child));
    }
  }
  return el;
}

function icon(name) {
  const span = document.createElement("span");
  span.className = `icon icon-${name}`;
  span.setAttribute("aria-hidden", "true");
  span.innerHTML = `<svg viewBox="0 0 24 24"><path d="${ICONS[name]}"></path></svg>`;
  return span;
}

function fire(node, type, detail) {
  node.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

/** "1, 3-5" or [1, "3"] -> sorted unique outlet numbers; throws on anything else. */
function parseOutletNumbers(value) {
  if (value === undefined || value === null || value === "") return [];
  const items = Array.isArray(value) ? value : String(value).split(",");
  const numbers = new Set();
  for (const item of items) {
    const text = String(item).trim();
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(text);
    if (range) {
      for (let n = Number(range[1]); n <= Number(range[2]); n++) numbers.add(n);
    } else if (/^\d+$/.test(text)) {
      numbers.add(Number(text));
    } else if (text) {
      throw new Error(`critical_outlets: "${text}" is no outlet number`);
    }
  }
  return [...numbers].sort((a, b) => a - b);
}

function stateOf(hass, entityId) {
  return entityId ? hass.states[entityId] : undefined;
}

/** The outlet's relay: its switch, else its read-only on/off binary sensor (same attributes). */
function relayOf(hass, outlet) {
  return stateOf(hass, outlet.switch || outlet.state);
}

function isKnown(stateObj) {
  return stateObj !== undefined && stateObj.state !== UNAVAILABLE && stateObj.state !== UNKNOWN;
}

/** The state as the frontend shows it ("45.2 W", "12.3 kWh"), or undefined when it has none. */
function formatted(hass, entityId) {
  const stateObj = stateOf(hass, entityId);
  if (!isKnown(stateObj)) return undefined;
  if (typeof hass.formatEntityState === "function") return hass.formatEntityState(stateObj);
  const unit = stateObj.attributes.unit_of_measurement;
  return unit ? `${stateObj.state} ${unit}` : stateObj.state;
}

function joined(...parts) {
  return parts.filter((part) => part).join(" · ");
}

function outletTitle(outlet) {
  return outlet.name ? `Outlet ${outlet.label} · ${outlet.name}` : `Outlet ${outlet.label}`;
}

async function fetchLayout(hass, deviceId) {
  const message = { type: WS_LAYOUT };
  if (deviceId) message.device_id = deviceId;
  return hass.callWS(message);
}

/** Every unit of every loaded entry: [{entry, unit}]. */
async function fetchUnits(hass) {
  const result = await fetchLayout(hass);
  return result.entries.flatMap((entry) => entry.units.map((unit) => ({ entry, unit })));
}

const STYLE = `
  :host {
    display: block;
    --rp-on: var(--state-switch-active-color, var(--state-active-color, var(--amber-color, #ffc107)));
    --rp-alarm: var(--error-color, #db4437);
    --rp-radius: 8px;
  }
  [hidden] { display: none !important; }
  ha-card { padding: 12px; box-sizing: border-box; }
  .message { padding: 4px 0; color: var(--secondary-text-color); }
  .message.error { color: var(--rp-alarm); }
  .head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between;
    gap: 2px 12px; margin-bottom: 8px; }
  .title { font-size: 18px; font-weight: 500; line-height: 1.3; color: var(--primary-text-color);
    overflow-wrap: anywhere; }
  .subtitle { font-size: 12px; color: var(--secondary-text-color); }
  .metrics { display: flex; flex-wrap: wrap; gap: 6px 20px; margin-bottom: 8px; }
  .metric { display: flex; flex-direction: column; min-width: 0; border: none; background: none;
    padding: 0; font: inherit; color: inherit; text-align: left; cursor: pointer; border-radius: 4px; }
  .metric .label { font-size: 11px; letter-spacing: 0.04em; text-transform: uppercase;
    color: var(--secondary-text-color); }
  .metric .value { font-size: 16px; font-weight: 500; font-variant-numeric: tabular-nums;
    color: var(--primary-text-color); white-space: nowrap; }
  .chips { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
  .chip { display: inline-flex; align-items: center; gap: 4px; border-radius: 999px;
    border: 1px solid var(--divider-color, rgba(127, 127, 127, 0.3)); padding: 2px 10px;
    font: inherit; font-size: 12px; line-height: 18px; background: none;
    color: var(--primary-text-color); cursor: pointer; font-variant-numeric: tabular-nums; }
  .chip.quiet { color: var(--secondary-text-color); cursor: default; }
  .chip.alarm { background: var(--rp-alarm); border-color: var(--rp-alarm);
    color: var(--text-primary-color, #fff); font-weight: 500; }
  .summary { font-size: 12px; color: var(--secondary-text-color); margin: 0 0 6px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(76px, 1fr)); gap: 6px;
    margin: 0; padding: 0; list-style: none; }
  .tile { position: relative; min-width: 0; }
  .main { box-sizing: border-box; width: 100%; height: 100%; min-height: 62px; margin: 0;
    display: flex; flex-direction: column; align-items: stretch; gap: 1px; padding: 5px 7px;
    border-radius: var(--rp-radius); border: 1px solid var(--divider-color, rgba(127, 127, 127, 0.3));
    background: var(--secondary-background-color, rgba(127, 127, 127, 0.08));
    color: var(--primary-text-color); font: inherit; text-align: left; cursor: pointer;
    -webkit-tap-highlight-color: transparent; -webkit-touch-callout: none; user-select: none;
    transition: background-color 0.2s, border-color 0.2s; }
  .main:hover { border-color: var(--secondary-text-color); }
  .tile[data-state="on"] .main {
    background: color-mix(in srgb, var(--rp-on) 14%, var(--card-background-color, #fff));
    border-color: color-mix(in srgb, var(--rp-on) 55%, transparent); }
  .tile[data-state="on"] .value { font-weight: 500; }
  .tile[data-state="off"] .main { background: none; color: var(--secondary-text-color); }
  .tile[data-state="unavailable"] .main, .tile[data-state="unknown"] .main {
    border-style: dashed; opacity: 0.6; background: none; }
  .tile[data-alarm] .main { border-color: var(--rp-alarm); }
  .tile.busy .main { opacity: 0.6; cursor: progress; }
  .number { display: flex; align-items: center; gap: 3px; padding-right: 18px; font-weight: 600;
    font-size: 14px; line-height: 18px; font-variant-numeric: tabular-nums; }
  .name { font-size: 11px; line-height: 14px; color: var(--primary-text-color); overflow: hidden;
    display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
    overflow-wrap: anywhere; }
  .tile[data-state="off"] .name { color: var(--secondary-text-color); }
  .value { margin-top: auto; padding-top: 2px; font-size: 12px; line-height: 16px;
    font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .more { position: absolute; top: 1px; right: 0; width: 30px; height: 30px; padding: 0;
    display: grid; place-items: center; border: none; border-radius: 50%; background: none;
    color: var(--secondary-text-color); cursor: pointer; }
  .more:hover { background: color-mix(in srgb, currentColor 14%, transparent); }
  .icon { display: inline-flex; }
  .icon svg { width: 18px; height: 18px; fill: currentColor; }
  .number .icon svg { width: 12px; height: 12px; }
  .number .icon { color: var(--warning-color, #ff9800); }
  .chip .icon svg { width: 14px; height: 14px; }
  button:focus-visible, select:focus-visible, input:focus-visible {
    outline: 2px solid var(--primary-color); outline-offset: 1px; }
  dialog { box-sizing: border-box; width: min(400px, calc(100vw - 32px)); padding: 20px;
    border: none; border-radius: var(--ha-card-border-radius, 12px);
    background: var(--card-background-color, var(--ha-card-background, #fff));
    color: var(--primary-text-color); box-shadow: 0 8px 32px rgba(0, 0, 0, 0.35); }
  dialog::backdrop { background: rgba(0, 0, 0, 0.45); }
  dialog h2 { margin: 0 0 6px; font-size: 18px; font-weight: 500; line-height: 1.35;
    overflow-wrap: anywhere; }
  dialog p { margin: 6px 0 0; color: var(--secondary-text-color); line-height: 1.4; }
  .badge { display: inline-flex; align-items: center; gap: 4px; font-size: 12px;
    color: var(--warning-color, #ff9800); }
  .badge .icon svg { width: 14px; height: 14px; }
  .actions { display: flex; flex-wrap: wrap; justify-content: flex-end; gap: 8px; margin-top: 18px; }
  .btn { font: inherit; font-weight: 500; font-size: 14px; padding: 8px 16px; border-radius: 18px;
    border: 1px solid var(--divider-color, rgba(127, 127, 127, 0.3)); background: none;
    color: var(--primary-color); cursor: pointer; }
  .btn.primary { background: var(--primary-color); border-color: var(--primary-color);
    color: var(--text-primary-color, #fff); }
  .btn.danger { background: var(--rp-alarm); border-color: var(--rp-alarm);
    color: var(--text-primary-color, #fff); }
  .btn:disabled { opacity: 0.5; cursor: default; }
  @media (prefers-reduced-motion: reduce) { .main { transition: none; } }
`;

class RaritanPduCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = undefined;
    this._hass = undefined;
    this._unit = undefined;
    this._layoutJson = "";
    this._message = undefined;
    this._tiles = [];
    this._header = undefined;
    this._busy = new Set();
    this._fetchTimer = undefined;
    this._fetchSeq = 0;
    this._retries = 0;
    this._registrySeen = undefined;
    this._menuOutlet = undefined;
    this._menuKey = "";
    this._pressTimer = undefined;
    this._longPressed = false;
  }

  static getConfigElement() {
    return document.createElement(EDITOR_TYPE);
  }

  /** The card picker's card: the first unit that is loaded. */
  static async getStubConfig(hass) {
    try {
      const units = await fetchUnits(hass);
      return { device: units.length ? units[0].unit.device_id : "" };
    } catch (_err) {
      return { device: "" };
    }
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.device !== undefined && typeof config.device !== "string") {
      throw new Error("device: the device id of a PDU unit (a text)");
    }
    const critical = parseOutletNumbers(config.critical_outlets);
    const sameUnit = this._config && this._config.device === (config.device || "");
    this._config = {
      ...config,
      device: config.device || "",
      critical: new Set(critical),
      critical_from_pdu: Boolean(config.critical_from_pdu),
    };
    if (this._config.device) this.dataset.device = this._config.device;
    else delete this.dataset.device;
    // Another unit starts from scratch; the same unit (the editor changed an option) is drawn
    // again at once and its layout read again.
    if (!sameUnit) {
      this._unit = undefined;
      this._layoutJson = "";
      this._message = this._config.device ? undefined : "Choose a PDU unit in the card's settings.";
    }
    this._build();
    this._scheduleFetch(0);
  }

  set hass(hass) {
    const previous = this._hass;
    this._hass = hass;
    // The layout changes with the registries (an entity renamed, disabled or added by a new
    // outlet or link unit): fetch it again after they change.
    const registry = hass.entities;
    if (previous && registry !== this._registrySeen) this._scheduleFetch(1000);
    this._registrySeen = registry;
    if (!previous) this._scheduleFetch(0);
    // The frontend replaces its formatter once its translations and the entities' display
    // settings are loaded: repaint then, or the first values would stay unformatted
    // ("1291.34421415234") until they change.
    const formatter = hass.formatEntityState;
    const reformat = previous !== undefined && formatter !== this._formatterSeen;
    this._formatterSeen = formatter;
    this._update(reformat);
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    if (!this._unit) this._scheduleFetch(0);
  }

  disconnectedCallback() {
    clearTimeout(this._fetchTimer);
    this._fetchTimer = undefined;
  }

  getCardSize() {
    const outlets = this._unit ? this._unit.outlets.length : 8;
    return 3 + Math.ceil((Math.ceil(outlets / 5) * 7) / 5);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6 };
  }

  // --- the layout ---------------------------------------------------------------------------

  _scheduleFetch(delay) {
    if (!this._config || !this._config.device) return;
    clearTimeout(this._fetchTimer);
    this._fetchTimer = setTimeout(() => {
      this._fetchTimer = undefined;
      this._fetch();
    }, delay);
  }

  async _fetch() {
    const hass = this._hass;
    const config = this._config;
    if (!hass || !config || !config.device) return;
    const seq = ++this._fetchSeq;
    let unit;
    let message;
    try {
      const result = await fetchLayout(hass, config.device);
      unit = result.entries.length ? result.entries[0].units[0] : undefined;
      this._retries = 0;
    } catch (err) {
      message =
        err && err.code === "not_found"
          ? "This PDU unit is not loaded: is the Raritan PDU integration set up and running?"
          : `The PDU's layout could not be read: ${(err && err.message) || err}`;
      // Home Assistant may still be starting, or the entry reloading: try again, less often.
      this._retries = Math.min(this._retries + 1, 5);
      this._scheduleFetch(2000 * 2 ** (this._retries - 1));
    }
    if (seq !== this._fetchSeq || config !== this._config) return;
    const json = JSON.stringify(unit || null);
    if (json === this._layoutJson && message === this._message) return;
    this._layoutJson = json;
    this._unit = unit;
    this._message = message;
    this._build();
  }

  // --- critical outlets ---------------------------------------------------------------------

  _isCritical(outlet) {
    return (
      this._config.critical.has(outlet.number) ||
      (this._config.critical_from_pdu && !outlet.non_critical)
    );
  }

  // --- building the DOM (once per layout) ----------------------------------------------------

  _build() {
    const root = this.shadowRoot;
    const style = h("style");
    style.textContent = STYLE;
    const card = h("ha-card");
    this._tiles = [];
    this._header = undefined;
    this._menuOutlet = undefined;
    const unit = this._unit;
    if (!unit) {
      const text = this._message || "Loading the PDU…";
      card.append(h("div", { className: this._message ? "message error" : "message" }, text));
      root.replaceChildren(style, card);
      return;
    }
    if (this._message) card.append(h("div", { className: "message error" }, this._message));
    card.append(this._buildHeader(unit));
    this._summary = h("div", { className: "summary", "aria-live": "polite" });
    card.append(this._summary);
    const grid = h("ul", { className: "grid", "aria-label": `Outlets of ${this._title(unit)}` });
    for (const outlet of unit.outlets) grid.append(this._buildTile(outlet));
    card.append(grid);
    this._menu = h("dialog", { className: "menu", "aria-labelledby": "menu-title" });
    this._confirm = h("dialog", { className: "confirm", "aria-labelledby": "confirm-title" });
    this._menu.addEventListener("close", () => {
      this._menuOutlet = undefined;
    });
    card.append(this._menu, this._confirm);
    root.replaceChildren(style, card);
    this._update(true);
  }

  _title(unit) {
    return this._config.title || unit.name;
  }

  /** Model and serial number unless the title says them already; link units say so. */
  _subtitle(unit) {
    const title = this._title(unit);
    const known = [unit.model, unit.serial].filter((part) => part && !title.includes(part));
    return joined(...known, unit.primary ? "" : "link unit");
  }

  _buildHeader(unit) {
    const head = h(
      "div",
      { className: "head" },
      h("div", { className: "title" }, this._title(unit)),
      h("div", { className: "subtitle" }, this._subtitle(unit)),
    );
    const metrics = [];
    const metric = (label, entities) => {
      const value = h("span", { className: "value" });
      const target = entities.find((entityId) => entityId);
      const el = h(
        "button",
        {
          className: "metric",
          type: "button",
          disabled: !target,
          onclick: () => target && fire(this, "hass-more-info", { entityId: target }),
        },
        h("span", { className: "label" }, label),
        value,
      );
      metrics.push({ el, value, entities });
      return el;
    };
    const metricsRow = h("div", { className: "metrics" });
    if (unit.power) metricsRow.append(metric("Power", [unit.power]));
    if (unit.energy) metricsRow.append(metric("Energy", [unit.energy]));
    for (const inlet of unit.inlets) {
      const label =
        unit.inlets.length > 1 || inlet.name ? `Inlet ${inlet.name || inlet.label}` : "Inlet";
      const entities = [inlet.current, inlet.voltage];
      if (!unit.power) entities.unshift(inlet.power);
      if (entities.some((entityId) => entityId)) metricsRow.append(metric(label, entities));
    }
    const breakers = unit.breakers
      .filter((breaker) => breaker.current || breaker.tripped)
      .map((breaker) => {
        const el = h("button", {
          className: "chip",
          type: "button",
          onclick: () =>
            fire(this, "hass-more-info", { entityId: breaker.tripped || breaker.current }),
        });
        return { el, breaker };
      });
    const tripIds = new Set(unit.breakers.map((breaker) => breaker.tripped).filter((id) => id));
    const alarms = unit.alarms
      .filter((alarm) => !tripIds.has(alarm.entity_id))
      .map((alarm) => ({
        alarm,
        el: h("button", {
          className: "chip alarm",
          type: "button",
          onclick: () => fire(this, "hass-more-info", { entityId: alarm.entity_id }),
        }),
      }));
    const quiet = h("span", { className: "chip quiet" }, icon("check"), "No alarms");
    const chips = h(
      "div",
      { className: "chips", role: "status", "aria-label": "Breakers and alarms" },
      breakers.map((b) => b.el),
      alarms.map((a) => a.el),
      unit.alarms.length ? quiet : null,
    );
    const entities = [
      ...metrics.flatMap((m) => m.entities),
      ...unit.breakers.flatMap((b) => [b.current, b.tripped]),
      ...unit.alarms.map((a) => a.entity_id),
    ].filter((entityId) => entityId);
    this._header = {
      metrics,
      breakers,
      alarms,
      quiet,
      hasAlarms: unit.alarms.length > 0,
      entities,
      seen: [],
    };
    return h("div", {}, head, metricsRow.childElementCount ? metricsRow : null, chips);
  }

  _buildTile(outlet) {
    const number = h("span", { className: "number" }, outlet.label);
    const name = h("span", { className: "name" }, outlet.name || "");
    if (!outlet.name) name.hidden = true;
    const value = h("span", { className: "value" });
    const main = h("button", { className: "main", type: "button" }, number, name, value);
    const more = h(
      "button",
      {
        className: "more",
        type: "button",
        "aria-haspopup": "dialog",
        "aria-label": `${outletTitle(outlet)}: more actions`,
        title: "More actions",
      },
      icon("more"),
    );
    const el = h("li", { className: "tile", "data-outlet": outlet.number }, main, more);
    if (this._isCritical(outlet)) {
      el.dataset.critical = "";
      number.append(icon("lock"));
    }
    if (outlet.name) main.title = outlet.name;
    const tile = { outlet, el, main, value, seen: [] };
    main.addEventListener("click", (ev) => {
      if (this._longPressed) {
        this._longPressed = false;
        ev.preventDefault();
        return;
      }
      this._activate(outlet);
    });
    more.addEventListener("click", () => this._openMenu(outlet));
    el.addEventListener("contextmenu", (ev) => {
      ev.preventDefault();
      this._openMenu(outlet);
    });
    main.addEventListener("pointerdown", (ev) => {
      if (ev.pointerType !== "touch") return;
      this._longPressed = false;
      clearTimeout(this._pressTimer);
      this._pressTimer = setTimeout(() => {
        this._longPressed = true;
        this._openMenu(outlet);
      }, LONG_PRESS_MS);
    });
    for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
      main.addEventListener(type, () => clearTimeout(this._pressTimer));
    }
    this._tiles.push(tile);
    return el;
  }

  // --- updating from the states (every state change anywhere: cheap when nothing changed) --

  _update(force = false) {
    const hass = this._hass;
    if (!hass || !this._unit) return;
    let on = 0;
    let off = 0;
    let unavailable = 0;
    for (const tile of this._tiles) {
      const outlet = tile.outlet;
      const sw = relayOf(hass, outlet);
      const power = stateOf(hass, outlet.power);
      const busy = this._busy.has(outlet.number);
      const state = this._outletState(outlet, sw, power);
      if (state === "on") on++;
      else if (state === "off") off++;
      else if (state === UNAVAILABLE) unavailable++;
      const seen = [sw, power, busy];
      if (!force && seen.every((item, i) => item === tile.seen[i])) continue;
      tile.seen = seen;
      this._paintTile(tile, state, sw, busy);
    }
    const summary = joined(
      `${this._unit.outlets.length} outlets`,
      on && `${on} on`,
      off && `${off} off`,
      unavailable && `${unavailable} unavailable`,
    );
    if (this._summary.textContent !== summary) this._summary.textContent = summary;
    const header = this._header;
    const seen = header.entities.map((entityId) => hass.states[entityId]);
    if (force || seen.some((item, i) => item !== header.seen[i])) {
      header.seen = seen;
      this._paintHeader();
    }
    if (this._menuOutlet) this._paintMenuFacts();
  }

  /** on / off / unavailable / unknown, or "metered" for an outlet without a switch (nor the
   * read-only state of one its PDU account may not switch). */
  _outletState(outlet, sw, power) {
    if (outlet.switch || outlet.state) {
      if (!sw) return UNAVAILABLE;
      return sw.state === "on" || sw.state === "off" || sw.state === UNAVAILABLE
        ? sw.state
        : UNKNOWN;
    }
    if (power && power.state === UNAVAILABLE) return UNAVAILABLE;
    return "metered";
  }

  /** What the outlet is doing, in words ("On", "Cycling…"); "" for a metered-only outlet. */
  _stateText(state, sw) {
    if (state === UNAVAILABLE) return "Unavailable";
    if (sw && sw.attributes.cycle_in_progress) return "Cycling…";
    if (sw && sw.attributes.switch_on_in_progress) return "Switching on…";
    return { on: "On", off: "Off", unknown: "Unknown" }[state] || "";
  }

  /** The tile's last line: the power while on (or of a metered-only outlet), else the state. */
  _valueText(outlet, state, sw) {
    const text = this._stateText(state, sw);
    if (text !== "On" && text !== "") return text;
    return formatted(this._hass, outlet.power) || text;
  }

  _paintTile(tile, state, sw, busy) {
    const outlet = tile.outlet;
    const text = this._valueText(outlet, state, sw);
    tile.el.dataset.state = state;
    tile.el.classList.toggle("busy", busy);
    tile.value.textContent = text;
    const switchable = Boolean(outlet.switch) && (state === "on" || state === "off");
    if (switchable) tile.main.setAttribute("aria-pressed", String(state === "on"));
    else tile.main.removeAttribute("aria-pressed");
    tile.main.setAttribute("aria-busy", String(busy));
    const action = switchable ? (state === "on" ? "switch off" : "switch on") : "show actions";
    tile.main.setAttribute(
      "aria-label",
      `${joined(outletTitle(outlet), text, this._isCritical(outlet) && "critical")}. Activate to ${action}.`,
    );
  }

  _paintHeader() {
    const hass = this._hass;
    const header = this._header;
    for (const metric of header.metrics) {
      const parts = metric.entities.map(
        (entityId) => entityId && (formatted(hass, entityId) || "—"),
      );
      metric.value.textContent = joined(...parts) || "—";
    }
    for (const { el, breaker } of header.breakers) {
      const tripped = stateOf(hass, breaker.tripped);
      const isTripped = tripped !== undefined && tripped.state === "on";
      const current = formatted(hass, breaker.current);
      el.className = isTripped ? "chip alarm" : "chip";
      el.replaceChildren(
        ...(isTripped ? [icon("alert")] : []),
        `${breaker.name || breaker.label} ${isTripped ? "tripped" : current || ""}`.trim(),
      );
      el.setAttribute(
        "aria-label",
        `Breaker ${breaker.label}: ${isTripped ? "tripped" : current || "no reading"}`,
      );
    }
    let active = header.breakers.some(({ el }) => el.classList.contains("alarm"));
    for (const { el, alarm } of header.alarms) {
      const stateObj = stateOf(hass, alarm.entity_id);
      const on = stateObj !== undefined && stateObj.state === "on";
      el.hidden = !on;
      active = active || on;
      el.replaceChildren(icon("alert"), alarm.name);
    }
    header.quiet.hidden = active || !header.hasAlarms;
  }

  // --- actions ------------------------------------------------------------------------------

  _activate(outlet) {
    const sw = stateOf(this._hass, outlet.switch);
    if (!sw || (sw.state !== "on" && sw.state !== "off") || this._busy.has(outlet.number)) {
      this._openMenu(outlet);
      return;
    }
    this._switch(outlet, sw.state === "on" ? "turn_off" : "turn_on");
  }

  _switch(outlet, service) {
    this._withConfirmation(outlet, service, () =>
      this._call(outlet, "switch", service, outlet.switch),
    );
  }

  _cycle(outlet) {
    this._withConfirmation(outlet, "cycle", () =>
      this._call(outlet, "button", "press", outlet.cycle),
    );
  }

  _withConfirmation(outlet, action, run) {
    if (this._menu.open) this._menu.close();
    if (this._isCritical(outlet)) this._openConfirm(outlet, action, run);
    else run();
  }

  async _call(outlet, domain, service, entityId) {
    this._busy.add(outlet.number);
    this._update();
    try {
      await this._hass.callService(domain, service, { entity_id: entityId });
    } catch (_err) {
      // The frontend already shows the error (a toast with the integration's message).
    } finally {
      this._busy.delete(outlet.number);
      this._update();
    }
  }

  // --- dialogs ------------------------------------------------------------------------------

  _openConfirm(outlet, action, run) {
    const verbs = {
      turn_on: ["Switch on", "is marked critical."],
      turn_off: ["Switch off", "is marked critical: the equipment on it loses power."],
      cycle: [
        "Power-cycle",
        "is marked critical: it is switched off, and on again after the PDU's cycle delay.",
      ],
    };
    const [verb, why] = verbs[action];
    const what = outlet.name
      ? `“${outlet.name}” (outlet ${outlet.label})`
      : `outlet ${outlet.label}`;
    const cancel = h(
      "button",
      { className: "btn", type: "button", autofocus: true, value: "cancel" },
      "Cancel",
    );
    const confirm = h(
      "button",
      {
        className: action === "turn_on" ? "btn primary" : "btn danger",
        type: "button",
        value: "confirm",
      },
      verb,
    );
    cancel.addEventListener("click", () => this._confirm.close());
    confirm.addEventListener("click", () => {
      this._confirm.close();
      run();
    });
    this._confirm.replaceChildren(
      h("h2", { id: "confirm-title" }, `${verb} ${what}?`),
      h("p", {}, `Outlet ${outlet.label} ${why}`),
      h("div", { className: "actions" }, cancel, confirm),
    );
    if (!this._confirm.open) this._confirm.showModal();
    cancel.focus();
  }

  _openMenu(outlet) {
    if (this._confirm.open) return;
    this._menuOutlet = outlet;
    const badge = this._isCritical(outlet)
      ? h("div", { className: "badge" }, icon("lock"), "Critical outlet")
      : null;
    this._menuFacts = h("p", { className: "facts", "aria-live": "polite" });
    this._menuActions = h("div", { className: "actions" });
    // (the DOM's replaceChildren writes a null as the text "null": leave the badge out instead)
    this._menu.replaceChildren(
      ...[h("h2", { id: "menu-title" }, outletTitle(outlet)), badge].filter(Boolean),
      this._menuFacts,
      this._menuActions,
    );
    this._paintMenuFacts();
    if (!this._menu.open) this._menu.showModal();
    const first = this._menuActions.querySelector("button:not(:disabled)");
    if (first) first.focus();
  }

  _paintMenuFacts() {
    const outlet = this._menuOutlet;
    const hass = this._hass;
    const sw = relayOf(hass, outlet);
    const power = stateOf(hass, outlet.power);
    const state = this._outletState(outlet, sw, power);
    const facts = [this._stateText(state, sw)];
    for (const entityId of [outlet.power, outlet.current, outlet.energy]) {
      facts.push(formatted(hass, entityId));
    }
    if (!outlet.switchable) facts.push("not switchable");
    else if (outlet.state && !outlet.switch) facts.push("read-only: the PDU account may not switch it");
    else if (!outlet.switch) facts.push("its switch is disabled in Home Assistant");
    this._menuFacts.textContent = joined(...facts);
    // The actions follow the state (an outlet switched meanwhile offers the other action).
    const key = JSON.stringify([
      state,
      this._busy.has(outlet.number),
      stateOf(hass, outlet.cycle)?.state,
    ]);
    if (key === this._menuKey && this._menuActions.childElementCount) return;
    this._menuKey = key;
    const busy = this._busy.has(outlet.number);
    const buttons = [];
    if (outlet.switch && state !== UNAVAILABLE) {
      if (state !== "on") {
        buttons.push(
          h(
            "button",
            {
              className: "btn",
              type: "button",
              disabled: busy,
              onclick: () => this._switch(outlet, "turn_on"),
            },
            "Switch on",
          ),
        );
      }
      if (state !== "off") {
        buttons.push(
          h(
            "button",
            {
              className: "btn",
              type: "button",
              disabled: busy,
              onclick: () => this._switch(outlet, "turn_off"),
            },
            "Switch off",
          ),
        );
      }
    }
    const cycle = stateOf(hass, outlet.cycle);
    if (cycle && cycle.state !== UNAVAILABLE) {
      buttons.push(
        h(
          "button",
          { className: "btn", type: "button", disabled: busy, onclick: () => this._cycle(outlet) },
          "Power cycle",
        ),
      );
    }
    const details = outlet.switch || outlet.state || outlet.power || outlet.cycle;
    if (details) {
      buttons.push(
        h(
          "button",
          {
            className: "btn",
            type: "button",
            onclick: () => {
              this._menu.close();
              fire(this, "hass-more-info", { entityId: details });
            },
          },
          "Details",
        ),
      );
    }
    buttons.push(
      h(
        "button",
        { className: "btn primary", type: "button", onclick: () => this._menu.close() },
        "Close",
      ),
    );
    const focused = this.shadowRoot.activeElement;
    const hadFocus = focused && this._menuActions.contains(focused);
    this._menuActions.replaceChildren(...buttons);
    if (hadFocus) buttons[buttons.length - 1].focus();
  }
}

// --- the visual editor ------------------------------------------------------------------------

const EDITOR_STYLE = `
  :host { display: block; }
  .row { display: flex; flex-direction: column; gap: 4px; margin-bottom: 16px; }
  label, legend { font-size: 14px; color: var(--primary-text-color); }
  .hint { font-size: 12px; color: var(--secondary-text-color); }
  select, input[type="text"] { font: inherit; font-size: 14px; padding: 8px; border-radius: 4px;
    border: 1px solid var(--divider-color, rgba(127, 127, 127, 0.4));
    background: var(--card-background-color, #fff); color: var(--primary-text-color); }
  .check { display: flex; align-items: flex-start; gap: 8px; }
  fieldset { border: 1px solid var(--divider-color, rgba(127, 127, 127, 0.4)); border-radius: 4px;
    margin: 0 0 16px; padding: 8px 12px 12px; }
  .outlets { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 4px 12px; }
  .outlets label { font-size: 13px; display: flex; gap: 6px; align-items: center; min-width: 0; }
  .outlets span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .error { color: var(--error-color, #db4437); }
`;

class RaritanPduCardEditor extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._hass = undefined;
    this._units = undefined;
    this._error = undefined;
    this._loading = false;
    this._renderedFor = undefined;
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (!this._units && !this._loading) this._load();
  }

  async _load() {
    this._loading = true;
    try {
      this._units = await fetchUnits(this._hass);
    } catch (err) {
      this._error = `The PDU units could not be read: ${(err && err.message) || err}`;
    }
    this._loading = false;
    this._render();
  }

  _changed(patch) {
    const config = { ...this._config, ...patch };
    for (const key of Object.keys(patch)) {
      const value = config[key];
      if (value === "" || value === false || (Array.isArray(value) && !value.length))
        delete config[key];
    }
    this._config = config;
    fire(this, "config-changed", { config });
  }

  _critical() {
    try {
      return parseOutletNumbers(this._config.critical_outlets);
    } catch (_err) {
      return [];
    }
  }

  _render() {
    const root = this.shadowRoot;
    const device = this._config.device || "";
    const key = JSON.stringify([device, Boolean(this._units), this._error]);
    if (key === this._renderedFor) {
      this._sync();
      return;
    }
    this._renderedFor = key;
    const style = h("style");
    style.textContent = EDITOR_STYLE;
    if (!this._units) {
      root.replaceChildren(
        style,
        h(
          "div",
          { className: this._error ? "error" : "hint" },
          this._error || "Loading the PDU units…",
        ),
      );
      return;
    }
    const selected = this._units.find(({ unit }) => unit.device_id === device);
    const entries = new Set(this._units.map(({ entry }) => entry.entry_id));
    const select = h(
      "select",
      {
        id: "device",
        onchange: (ev) => this._changed({ device: ev.target.value, critical_outlets: [] }),
      },
      selected ? null : h("option", { value: "", selected: true }, "Choose a unit"),
      this._units.map(({ entry, unit }) =>
        h(
          "option",
          { value: unit.device_id, selected: unit.device_id === device },
          joined(unit.name, entries.size > 1 ? entry.title : "", unit.primary ? "" : "link unit"),
        ),
      ),
    );
    this._title = h("input", {
      id: "title",
      type: "text",
      placeholder: selected ? selected.unit.name : "",
      oninput: (ev) => this._changed({ title: ev.target.value }),
    });
    this._fromPdu = h("input", {
      id: "critical_from_pdu",
      type: "checkbox",
      onchange: (ev) => this._changed({ critical_from_pdu: ev.target.checked }),
    });
    this._boxes = [];
    const outlets = selected
      ? selected.unit.outlets.map((outlet) => {
          const box = h("input", {
            type: "checkbox",
            value: outlet.number,
            onchange: () =>
              this._changed({
                critical_outlets: this._boxes.filter((b) => b.checked).map((b) => Number(b.value)),
              }),
          });
          this._boxes.push(box);
          return h(
            "label",
            { title: outletTitle(outlet) },
            box,
            h("span", {}, outletTitle(outlet)),
          );
        })
      : [];
    root.replaceChildren(
      style,
      h("div", { className: "row" }, h("label", { for: "device" }, "PDU unit"), select),
      h(
        "div",
        { className: "row" },
        h("label", { for: "title" }, "Title"),
        this._title,
        h("span", { className: "hint" }, "Empty: the unit's name."),
      ),
      h(
        "div",
        { className: "row" },
        h(
          "label",
          { className: "check" },
          this._fromPdu,
          h(
            "span",
            {},
            "Ask before switching every outlet the PDU does not mark as non-critical (its load-shedding setting)",
          ),
        ),
      ),
      selected
        ? h(
            "fieldset",
            {},
            h("legend", {}, "Critical outlets: ask before switching or power cycling them"),
            h("div", { className: "outlets" }, outlets),
          )
        : null,
    );
    this._sync();
  }

  /** Values into the controls, without rebuilding them (keeps the focus while typing). */
  _sync() {
    if (!this._units) return;
    const root = this.shadowRoot;
    if (this._title && root.activeElement !== this._title)
      this._title.value = this._config.title || "";
    if (this._fromPdu) this._fromPdu.checked = Boolean(this._config.critical_from_pdu);
    const critical = new Set(this._critical());
    for (const box of this._boxes || []) box.checked = critical.has(Number(box.value));
  }
}

/**
 * Define the elements once the frontend has started. The integration loads this module next to
 * the frontend's own, and may win the race: the frontend then replaces `window.customElements`
 * (its scoped-registry polyfill), and an element defined before that is unknown to the dashboard.
 */
function defineElements() {
  const registry = window.customElements;
  if (!registry.get(CARD_TYPE)) registry.define(CARD_TYPE, RaritanPduCard);
  if (!registry.get(EDITOR_TYPE)) registry.define(EDITOR_TYPE, RaritanPduCardEditor);
}

if (window.customElements.get("home-assistant")) defineElements();
else window.customElements.whenDefined("home-assistant").then(defineElements);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD_TYPE)) {
  window.customCards.push({
    type: CARD_TYPE,
    name: "Raritan PDU",
    description:
      "The outlets of a PDU unit as the PDU lays them out: switch, power-cycle, power, totals and alarms.",
    preview: true,
    documentationURL: "https://github.com/raritan-pdu-ha/raritan-pdu#dashboard-card",
  });
}
