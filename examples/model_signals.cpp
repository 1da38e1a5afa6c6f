// The model signals on a model of your own: pre_init / post_init,
// pre_save / post_save, pre_delete / post_delete, each printing what its
// receiver sees.
//
// Shows: receivers connected at static initialisation for one sender (the
// Article type); post_init seeing the loaded fields while pre_init sees
// defaults; pre_save changing the instance before it is written; post_save's
// `created` and update_fields; the delete signals around the row's removal.
#include <cctype>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "gatehouse/db/database.h"
#include "gatehouse/models/manager.h"
#include "gatehouse/models/schema.h"
#include "gatehouse/signals/receiver.h"

namespace {

using namespace gatehouse;

struct Article {
  std::int64_t id = 0;
  std::string title = "(untitled)";
  std::string slug{};
  static const models::ModelInfo<Article>& meta() {
    static const models::ModelInfo<Article> info =
        models::ModelInfo<Article>("blog", "article", "blog_article")
            .primary_key("id", &Article::id)
            .field("title", &Article::title, {.max_length = 100})
            // blank: validation runs before pre_save fills it
            .field("slug", &Article::slug, {.blank = true, .max_length = 100});
    return info;
  }
};
const models::Registration<Article> article_model;

std::string describe(const Article& a) {
  return "'" + a.title + "' (" + (a.id == 0 ? "pk 0" : "pk set") + ")";
}
std::string fields_of(const models::SaveEvent& e) {
  if (e.update_fields == nullptr) return "all";
  std::string out;
  for (const auto& f : *e.update_fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

void on_pre_init(const models::InitEvent& e) {
  std::cout << "  pre_init:    " << describe(e.as<Article>()) << "\n";
}
void on_post_init(const models::InitEvent& e) {
  std::cout << "  post_init:   " << describe(e.as<Article>()) << "\n";
}
void on_pre_save(const models::SaveEvent& e) {
  auto& a = e.as<Article>();
  a.slug.clear();  // pre_save may change the instance before it is written: a slug from the title
  for (char c : a.title)
    a.slug += (c == ' ') ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::cout << "  pre_save:    " << describe(a) << " slug=" << a.slug << " fields=" << fields_of(e)
            << "\n";
}
void on_post_save(const models::SaveEvent& e) {
  std::cout << "  post_save:   " << describe(e.as<Article>())
            << " created=" << (e.created ? "true" : "false") << " fields=" << fields_of(e) << "\n";
}
void on_pre_delete(const models::DeleteEvent& e) {
  std::cout << "  pre_delete:  " << describe(e.as<Article>()) << "\n";
}
void on_post_delete(const models::DeleteEvent& e) {
  std::cout << "  post_delete: " << describe(e.as<Article>()) << "\n";
}

// One receiver per signal, for sends by Article only (Django: sender=Article).
const signals::Receiver pre_init_receiver{
    models::pre_init, on_pre_init, {.sender = signals::Sender::of<Article>()}};
const signals::Receiver post_init_receiver{
    models::post_init, on_post_init, {.sender = signals::Sender::of<Article>()}};
const signals::Receiver pre_save_receiver{
    models::pre_save, on_pre_save, {.sender = signals::Sender::of<Article>()}};
const signals::Receiver post_save_receiver{
    models::post_save, on_post_save, {.sender = signals::Sender::of<Article>()}};
const signals::Receiver pre_delete_receiver{
    models::pre_delete, on_pre_delete, {.sender = signals::Sender::of<Article>()}};
const signals::Receiver post_delete_receiver{
    models::post_delete, on_post_delete, {.sender = signals::Sender::of<Article>()}};

void run() {
  db::Database db("sqlite::memory:");
  models::migrate(db, {{"blog", "0001_initial",
                        [](db::Connection& c) { models::create_table(c, Article::meta()); }}});
  auto conn = db.acquire();
  models::Manager<Article> articles(*conn);

  std::cout << "make<Article>():\n";
  Article draft = models::make<Article>();
  draft.title = "Hello World";
  std::cout << "create:\n";
  Article a = articles.create(draft);
  std::cout << "save with update_fields:\n";
  a.title = "Hello Signals";
  articles.save(a, {.update_fields = {"title", "slug"}});
  std::cout << "get:\n";
  Article loaded = articles.get(a.id);
  std::cout << "remove:\n";
  articles.remove(loaded);
  std::cout << "articles left: " << articles.count() << "\n";
}

}  // namespace

int main() {
  try {
    run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "model_signals: " << e.what() << "\n";
    return 1;
  }
}
